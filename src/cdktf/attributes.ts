// Terraform attributes from construct props: camelCase keys become the provider's snake_case attribute
// names, nested objects and lists of objects included, while the keys of string maps (labels,
// annotations, postBuild.substitute) stay as the user wrote them. Tokens pass through untouched.
import { Tokenization } from "cdktf";

/** snakeCase is the attribute name of a camelCase prop: `bucketName` → `bucket_name`, `caCert` → `ca_cert`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();
}

/**
 * toTerraformAttributes converts props into Terraform attributes. `stringMaps` lists the camelCase paths
 * (dot-separated, lists transparent, e.g. "postBuild.substitute") whose values are string maps: their
 * keys are kept. Undefined values are dropped; tokens (IResolvable objects, encoded strings, lists and
 * numbers) are kept as they are, so cdktf renders them as `${…}` references.
 */
export function toTerraformAttributes(props: object, stringMaps: readonly string[] = []): Record<string, unknown> {
  return convert(props, "", new Set(stringMaps)) as Record<string, unknown>;
}

function convert(value: unknown, path: string, stringMaps: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, path, stringMaps));
  if (!isPlainObject(value)) return value;
  const keepKeys = stringMaps.has(path);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const childPath = path === "" ? key : `${path}.${key}`;
    out[keepKeys ? key : snakeCase(key)] = keepKeys ? item : convert(item, childPath, stringMaps);
  }
  return out;
}

/** isPlainObject is true for object literals, which are converted; class instances and tokens are not. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Tokenization.isResolvable(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
