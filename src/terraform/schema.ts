// The schema builder: attributes described once, turned into tfplugin6 Schema messages, cty object types
// and engine props. Nested objects are protocol-v6 nested attributes (SINGLE for an object, LIST for a
// list of objects), so Terraform JSON and CDKTF write them as plain objects.
import { typeJson, type CtyObject, type CtyType, type CtyValue, type PrimitiveType } from "./cty";

/** AttrFlags say how an attribute is set. Exactly one of required/optional/computed, or optional+computed. */
export interface AttrFlags {
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  /** Masked in Terraform's output and marked in state. */
  sensitive?: boolean;
  /** A change of this attribute replaces the resource. */
  replace?: boolean;
}

/** Attr is one attribute of a schema. */
export type Attr = AttrFlags & { description: string } & (
    | { type: PrimitiveType | ["list", PrimitiveType] | ["map", PrimitiveType] | ["object", Record<string, CtyType>] }
    | { nested: "SINGLE" | "LIST"; attributes: Attributes }
  );

/** Attributes are a block's attributes by their Terraform (snake_case) name. */
export type Attributes = Record<string, Attr>;

type Opts = AttrFlags | undefined;
const flags = (o: Opts): AttrFlags => o ?? { optional: true };

/** str is a string attribute, optional unless the flags say otherwise. */
export const str = (description: string, o?: AttrFlags): Attr => ({ type: "string", description, ...flags(o) });
/** bool is a bool attribute. */
export const bool = (description: string, o?: AttrFlags): Attr => ({ type: "bool", description, ...flags(o) });
/** num is a number attribute. */
export const num = (description: string, o?: AttrFlags): Attr => ({ type: "number", description, ...flags(o) });
/** strList is a list(string) attribute. */
export const strList = (description: string, o?: AttrFlags): Attr => ({ type: ["list", "string"], description, ...flags(o) });
/** strMap is a map(string) attribute; its keys are kept as given. */
export const strMap = (description: string, o?: AttrFlags): Attr => ({ type: ["map", "string"], description, ...flags(o) });
/** obj is a nested object (NestingMode SINGLE). */
export const obj = (description: string, attributes: Attributes, o?: AttrFlags): Attr => ({ nested: "SINGLE", attributes, description, ...flags(o) });
/** objList is a list of nested objects (NestingMode LIST). */
export const objList = (description: string, attributes: Attributes, o?: AttrFlags): Attr => ({ nested: "LIST", attributes, description, ...flags(o) });
/** computedObject is a computed attribute of an object type (an output, never configured). */
export const computedObject = (description: string, type: Record<string, CtyType>, o: AttrFlags = {}): Attr => ({ type: ["object", type], description, computed: true, ...o });

/** attrType is the cty type of an attribute's value. */
export function attrType(a: Attr): CtyType {
  if ("type" in a) return a.type;
  const object: CtyType = ["object", objectType(a.attributes)[1]];
  return a.nested === "SINGLE" ? object : ["list", object];
}

/** objectType is the cty object type of a block with these attributes. */
export function objectType(attributes: Attributes): ["object", Record<string, CtyType>] {
  return ["object", Object.fromEntries(Object.entries(attributes).map(([name, a]) => [name, attrType(a)]))];
}

/** ProtoAttribute is a tfplugin6 Schema.Attribute as proto-loader takes it. */
export interface ProtoAttribute {
  name: string;
  type?: Buffer;
  nested_type?: { attributes: ProtoAttribute[]; nesting: string };
  description: string;
  description_kind: "PLAIN";
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
}

/** protoAttributes turns attributes into tfplugin6 Schema.Attribute messages. */
export function protoAttributes(attributes: Attributes): ProtoAttribute[] {
  return Object.entries(attributes).map(([name, a]) => ({
    name,
    ...("type" in a ? { type: typeJson(a.type) } : { nested_type: { attributes: protoAttributes(a.attributes), nesting: a.nested } }),
    description: a.description,
    description_kind: "PLAIN",
    required: Boolean(a.required),
    optional: Boolean(a.optional),
    computed: Boolean(a.computed),
    sensitive: Boolean(a.sensitive),
  }));
}

/** protoSchema is a tfplugin6 Schema of one block. */
export function protoSchema(attributes: Attributes, description: string, version = 0) {
  return { version, block: { version, attributes: protoAttributes(attributes), block_types: [], description, description_kind: "PLAIN" } };
}

/** camel turns a Terraform name into the engine's (`secret_ref` → `secretRef`). */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** snake turns an engine name into Terraform's (`secretRef` → `secret_ref`). */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * engineProps turns configured attributes into engine props: camelCase names, nested objects likewise,
 * map keys as given, null attributes left out. Only the attributes named in `attributes` are read.
 */
export function engineProps(attributes: Attributes, value: CtyObject): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    const v = value[name];
    if (v === null || v === undefined) continue;
    props[camel(name)] = engineValue(a, v);
  }
  return props;
}

function engineValue(a: Attr, v: CtyValue): unknown {
  if ("type" in a) return v;
  if (a.nested === "SINGLE") return engineProps(a.attributes, v as CtyObject);
  return (v as CtyObject[]).map((e) => engineProps(a.attributes, e));
}

/** pickAttributes keeps the named attributes of a schema. */
export function pickAttributes(attributes: Attributes, keep: (name: string, a: Attr) => boolean): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([n, a]) => keep(n, a)));
}

/** nullObject is an object of this schema with every attribute null. */
export function nullObject(attributes: Attributes): CtyObject {
  return Object.fromEntries(Object.keys(attributes).map((k) => [k, null]));
}
