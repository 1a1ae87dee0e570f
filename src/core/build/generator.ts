// Flux's kustomization.yaml generator (fluxcd/pkg kustomize_generator.go), for paths that have none.
import { readFileSync } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { ignoreRules } from "../artifact/ignore";
import { collectSourceIgnores } from "../artifact/archive";
import type { KubeObject } from "./kustomize";

/** KUSTOMIZATION_FILES are the names kustomize recognises, in its order. */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** findKustomizationFile returns the kustomization file name in dir, if any. */
export async function findKustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    if (await stat(join(dir, name)).then((s) => s.isFile(), () => false)) return name;
  }
  return undefined;
}

/** InvalidYAMLError names a file of the path that is not valid YAML. */
export class InvalidYAMLError extends Error {}

/**
 * manifestObjects returns the documents of a file that holds Kubernetes objects (every non-empty document
 * has apiVersion and kind), or undefined for any other YAML file, which the generator leaves out.
 */
function manifestObjects(text: string, rel: string): Record<string, unknown>[] | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length === 0) return undefined;
  for (const d of docs) {
    if (d.errors.length) {
      const e = d.errors[0];
      throw new InvalidYAMLError(`${rel} is not valid YAML (line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}); fix the file or exclude it with .sourceignore`);
    }
  }
  try {
    const objects: Record<string, unknown>[] = [];
    for (const d of docs) {
      const v = d.toJS() as unknown;
      if (v === null || v === undefined) continue;
      if (typeof v !== "object" || !("apiVersion" in v) || !("kind" in v)) return undefined;
      objects.push(v as Record<string, unknown>);
    }
    return objects.length > 0 ? objects : undefined;
  } catch {
    return undefined;
  }
}

/** KUSTOMIZE_OWN matches the API groups and annotation prefixes kustomize treats as its own. */
const KUSTOMIZE_OWN = /^(kustomize\.config\.k8s\.io|config\.kubernetes\.io|internal\.config\.kubernetes\.io|config\.k8s\.io)\//;

/**
 * isPlainObject reports whether kustomize would emit the object exactly as written when it is listed as a
 * resource: it has a name, it is not a List (kustomize expands those), and neither its API group nor an
 * annotation is one kustomize keeps for itself.
 */
function isPlainObject(o: Record<string, unknown>): boolean {
  const kind = String(o.kind);
  const apiVersion = String(o.apiVersion);
  const metadata = o.metadata as { name?: unknown; annotations?: unknown } | undefined;
  const annotations = metadata?.annotations && typeof metadata.annotations === "object" ? Object.keys(metadata.annotations) : [];
  return (
    typeof metadata?.name === "string" &&
    metadata.name !== "" &&
    !kind.endsWith("List") &&
    !KUSTOMIZE_OWN.test(apiVersion) &&
    !annotations.some((a) => KUSTOMIZE_OWN.test(a))
  );
}

/** objectId is kustomize's identity of an object, by API group (not version), namespace and name. */
function objectId(o: KubeObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return `${group}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
}

/** GeneratedKustomization is a kustomization.yaml the generator wrote. */
export interface GeneratedKustomization {
  /** The text written. */
  text: string;
  /**
   * The objects of the listed files, in order, when kustomize would emit exactly them: every resource is
   * a file (no nested kustomization), every object is plain (see isPlainObject) and no id repeats
   * (kustomize rejects that, with its own message). Otherwise undefined.
   */
  objects?: KubeObject[];
}

/**
 * generateKustomization writes a kustomization.yaml into dir when it has none, listing every .yaml/.yml
 * file below it that holds Kubernetes objects, and every subdirectory that has its own kustomization
 * (which is added as a directory and not descended). Returns what it wrote, or undefined when dir has a
 * kustomization file already.
 */
export async function generateKustomization(root: string, dir: string): Promise<GeneratedKustomization | undefined> {
  if (await findKustomizationFile(dir)) return undefined;
  const rules = ignoreRules(await collectSourceIgnores(root));
  const resources: string[] = [];
  let objects: KubeObject[] | undefined = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(d, e.name);
      const rel = relative(root, abs).split("\\").join("/");
      if (e.isDirectory()) {
        if (rules.ignored(`${rel}/`)) continue;
        if (await findKustomizationFile(abs)) {
          resources.push(relative(dir, abs).split("\\").join("/"));
          objects = undefined;
        } else await walk(abs);
      } else if (e.isFile() && /\.ya?ml$/.test(e.name) && !rules.ignored(rel)) {
        // A synchronous read: a tree of many small manifests is read about ten times faster than with
        // fs/promises (one open, stat, read and close round trip each through the thread pool).
        const found = manifestObjects(readFileSync(abs, "utf8"), rel);
        if (!found) continue;
        resources.push(relative(dir, abs).split("\\").join("/"));
        if (objects && found.every(isPlainObject)) objects.push(...(found as unknown as KubeObject[]));
        else objects = undefined;
      }
    }
  };
  await walk(dir);
  const text =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
    (resources.length ? `resources:\n${resources.map((r) => `- ${r}`).join("\n")}\n` : "namespace: _placeholder\n");
  await writeFile(join(dir, "kustomization.yaml"), text);
  if (objects && new Set(objects.map(objectId)).size !== objects.length) objects = undefined;
  return { text, objects };
}
