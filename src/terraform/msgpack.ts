// cty values ⇄ msgpack, as go-cty's cty/msgpack package encodes them: objects carry every attribute,
// unknown is extension type 0 written `d4 00 00`, any extension read is unknown (Terraform also sends
// refined unknowns as type 12), and a "dynamic" value is `[type JSON, value]`.
import { decode, encode, ExtData } from "@msgpack/msgpack";
import { UNKNOWN, type CtyObject, type CtyType, type CtyValue, type DynamicValue } from "./cty";

/** UNKNOWN_EXT is go-cty's encoding of an unknown value: fixext1, type 0, one zero byte. */
const UNKNOWN_EXT = new ExtData(0, new Uint8Array([0]));

/** encodeValue encodes a value of type t as msgpack. */
export function encodeValue(value: CtyValue, t: CtyType): Buffer {
  const bytes = encode(toWire(value, t), { ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** decodeValue decodes msgpack bytes as a value of type t. Empty bytes are null. */
export function decodeValue(bytes: Uint8Array | undefined, t: CtyType): CtyValue {
  if (!bytes || bytes.length === 0) return null;
  return fromWire(decode(bytes), t, []);
}

function toWire(v: CtyValue, t: CtyType): unknown {
  if (v === UNKNOWN) return UNKNOWN_EXT;
  if (v === null || v === undefined) return null;
  if (t === "dynamic") {
    const d = v as DynamicValue;
    return [Buffer.from(JSON.stringify(d.type)), toWire(d.value, d.type)];
  }
  if (typeof t === "string") return v;
  const [kind, inner] = t;
  switch (kind) {
    case "list":
    case "set":
      return (v as CtyValue[]).map((e) => toWire(e, inner));
    case "tuple":
      return (v as CtyValue[]).map((e, i) => toWire(e, inner[i]));
    case "map":
      return Object.fromEntries(Object.entries(v as CtyObject).map(([k, e]) => [k, toWire(e, inner)]));
    case "object":
      return Object.fromEntries(Object.entries(inner).map(([k, at]) => [k, toWire((v as CtyObject)[k] ?? null, at)]));
  }
}

function fromWire(raw: unknown, t: CtyType, path: (string | number)[]): CtyValue {
  if (raw instanceof ExtData) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  const fail = (what: string): never => {
    throw new Error(`msgpack value at ${path.join(".") || "(root)"}: expected ${what}`);
  };
  if (t === "dynamic") {
    if (!Array.isArray(raw) || raw.length !== 2 || !(raw[0] instanceof Uint8Array)) return fail("[type JSON, value] for a dynamic value");
    const type = JSON.parse(Buffer.from(raw[0]).toString("utf8")) as CtyType;
    return { type, value: fromWire(raw[1], type, path) };
  }
  switch (t) {
    case "string":
      return typeof raw === "string" ? raw : fail("a string");
    case "number":
      if (typeof raw === "number") return raw;
      if (typeof raw === "bigint") return Number(raw);
      // go-cty writes a number that is neither an exact int64 nor float64 as its decimal string.
      return typeof raw === "string" && raw.trim() !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : fail("a number");
    case "bool":
      return typeof raw === "boolean" ? raw : fail("a bool");
  }
  const [kind, inner] = t;
  switch (kind) {
    case "list":
    case "set":
      return Array.isArray(raw) ? raw.map((e, i) => fromWire(e, inner, [...path, i])) : fail(kind);
    case "tuple":
      return Array.isArray(raw) ? raw.map((e, i) => fromWire(e, inner[i], [...path, i])) : fail("a tuple");
    case "map":
      return isMap(raw) ? Object.fromEntries(Object.entries(raw).map(([k, e]) => [k, fromWire(e, inner, [...path, k])])) : fail("a map");
    case "object": {
      if (!isMap(raw)) return fail("an object");
      return Object.fromEntries(Object.entries(inner).map(([k, at]) => [k, fromWire(raw[k], at, [...path, k])]));
    }
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** decodeJsonValue reads a value from Terraform's JSON encoding (raw state); unknowns cannot occur there. */
export function decodeJsonValue(json: unknown, t: CtyType): CtyValue {
  if (json === null || json === undefined) return null;
  if (t === "dynamic") {
    const d = json as { type: CtyType; value: unknown };
    return { type: d.type, value: decodeJsonValue(d.value, d.type) };
  }
  if (typeof t === "string") return json as CtyValue;
  const [kind, inner] = t;
  switch (kind) {
    case "list":
    case "set":
      return (json as unknown[]).map((e) => decodeJsonValue(e, inner));
    case "tuple":
      return (json as unknown[]).map((e, i) => decodeJsonValue(e, inner[i]));
    case "map":
      return Object.fromEntries(Object.entries(json as object).map(([k, e]) => [k, decodeJsonValue(e, inner)]));
    case "object":
      return Object.fromEntries(Object.entries(inner).map(([k, at]) => [k, decodeJsonValue((json as Record<string, unknown>)[k], at)]));
  }
}
