// valuesFiles: Flux's chart builder merges the listed files in order (values.yaml only when listed) and
// the result replaces the chart's values.yaml.
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import YAML from "yaml";

/** Values is a parsed values file. */
export type Values = Record<string, unknown>;

/** ValuesFileError names the values file that could not be used. */
export class ValuesFileError extends Error {}

/** mergeMaps merges b over a, recursing into maps; any other value in b replaces a's (Flux's transform.MergeMaps). */
export function mergeMaps(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isMap(v) && isMap(prev) ? mergeMaps(prev, v) : v;
  }
  return out;
}

function isMap(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** isInsidePath reports whether a relative path stays inside its root (no `..`, not absolute). */
export function isInsidePath(path: string): boolean {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return false;
  return !posix.normalize(path).split("/").includes("..");
}

/**
 * mergeValuesFiles merges the chart's values files in order. A missing file fails unless ignoreMissing;
 * it returns the merged values and the files that contributed.
 */
export async function mergeValuesFiles(chartDir: string, files: string[], ignoreMissing: boolean): Promise<{ values: Values; used: string[] }> {
  let values: Values = {};
  const used: string[] = [];
  for (const file of files) {
    if (!isInsidePath(file)) throw new ValuesFileError(`values file "${file}" must be a path inside the chart`);
    let text: string;
    try {
      text = await readFile(join(chartDir, posix.normalize(file)), "utf8");
    } catch {
      if (ignoreMissing) continue;
      throw new ValuesFileError(`values file "${file}" was not found in the chart: fix valuesFiles, or set ignoreMissingValuesFiles: true to skip missing files`);
    }
    let parsed: unknown;
    try {
      parsed = YAML.parse(text) ?? {};
    } catch (err) {
      throw new ValuesFileError(`values file "${file}" is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    if (!isMap(parsed)) throw new ValuesFileError(`values file "${file}" is not a YAML mapping`);
    values = mergeMaps(values, parsed);
    used.push(file);
  }
  return { values, used };
}
