// HelmRelease values in Flux's order (helm-controller internal/chartutil ChartValuesFromReferences):
// valuesFrom[] in list order, then the inline values merged again on top. The chart's own defaults sit
// below all of them; Helm coalesces those itself.
import { createHash } from "node:crypto";
import YAML from "yaml";
import { setPath, StrvalsError } from "./strvals";

/** ValuesReference is one entry of spec.valuesFrom. */
export interface ValuesReference {
  kind: "ConfigMap" | "Secret";
  /** Name of the ConfigMap or Secret, in the HelmRelease's namespace. */
  name: string;
  /** Key holding the values. @default "values.yaml" */
  valuesKey?: string;
  /** Helm `--set` path (`a.b[0].c`) where the key's whole content is put, typed as `--set` types it. @default the root, merged as YAML */
  targetPath?: string;
  /** A missing object or key is skipped instead of failing. @default false */
  optional?: boolean;
  /** With targetPath: keep the value a string (`--set-literal`). @default false */
  literal?: boolean;
}

/** Values are a chart's values, as plain data. */
export type Values = Record<string, unknown>;

/** ValuesSpec are the HelmRelease fields that make the values. */
export interface ValuesSpec {
  values?: Values;
  valuesFrom?: ValuesReference[];
}

/** ReadValuesSource returns an object's data (decoded), or undefined when it does not exist. */
export type ReadValuesSource = (kind: "ConfigMap" | "Secret", name: string) => Promise<Record<string, string> | undefined>;

/** ValuesError names the valuesFrom entry or field that is wrong. */
export class ValuesError extends Error {}

function isMap(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** mergeMaps merges b into a copy of a, recursively for maps; any other value of b replaces a's (Flux's transform.MergeMaps). */
export function mergeMaps(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(v) && isMap(out[k]) ? mergeMaps(out[k] as Values, v) : v;
  return out;
}

/**
 * composeValues merges valuesFrom in order, then the inline values, and reports whether a Secret
 * contributed (the values are then secret). Errors name the entry (`valuesFrom[1]`) and the fix.
 */
export async function composeValues(spec: ValuesSpec, read: ReadValuesSource): Promise<{ values: Values; fromSecret: boolean }> {
  if (spec.values !== undefined && !isMap(spec.values)) throw new ValuesError("values must be a map of chart values");
  let result: Values = {};
  let fromSecret = false;
  for (const [i, ref] of (spec.valuesFrom ?? []).entries()) {
    const field = `valuesFrom[${i}]`;
    if (ref.kind !== "ConfigMap" && ref.kind !== "Secret") throw new ValuesError(`${field}.kind "${ref.kind}" must be ConfigMap or Secret`);
    if (!ref.name) throw new ValuesError(`${field}.name is required`);
    const key = ref.valuesKey || "values.yaml";
    const data = await read(ref.kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ValuesError(`${field}: ${ref.kind} "${ref.name}" not found; create it or set ${field}.optional: true`);
    }
    if (!(key in data)) {
      if (ref.optional) continue;
      throw new ValuesError(`${field}: ${ref.kind} "${ref.name}" has no key "${key}"; set ${field}.valuesKey or add the key`);
    }
    if (ref.kind === "Secret") fromSecret = true;
    if (ref.targetPath) {
      try {
        // Helm's parser reads `path=value`; the value is the key's whole content, trimmed of surrounding whitespace as Flux does.
        result = setPath(structuredClone(result), ref.targetPath, data[key].trim(), ref.literal);
      } catch (err) {
        if (err instanceof StrvalsError) throw new ValuesError(`${field}.targetPath: ${err.message}`);
        throw err;
      }
      continue;
    }
    let parsed: unknown;
    try {
      parsed = YAML.parse(data[key]) ?? {};
    } catch (err) {
      // The YAML parser's message may quote the content; a Secret's content never reaches an error.
      const detail = ref.kind === "Secret" ? "" : `: ${(err as Error).message.split("\n")[0]}`;
      throw new ValuesError(`${field}: key "${key}" of ${ref.kind} "${ref.name}" is not valid YAML${detail}`);
    }
    if (!isMap(parsed)) throw new ValuesError(`${field}: key "${key}" of ${ref.kind} "${ref.name}" must hold a YAML map of values`);
    result = mergeMaps(result, parsed);
  }
  return { values: mergeMaps(result, spec.values ?? {}), fromSecret };
}

/** canonicalJSON serializes with sorted keys, so equal values give equal text. */
export function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(",")}]`;
  if (isMap(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`).join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** valuesDigest is `sha256:<hex>` of the canonical JSON of the values (Flux's config digest). */
export function valuesDigest(values: Values): string {
  return `sha256:${createHash("sha256").update(canonicalJSON(values)).digest("hex")}`;
}
