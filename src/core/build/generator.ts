// Flux's kustomization.yaml generator (fluxcd/pkg kustomize_generator.go), for paths that have none.
import { readFileSync } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { ignoreRules } from "../artifact/ignore";
import { collectSourceIgnores } from "../artifact/archive";

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

function isKubernetesManifest(text: string, rel: string): boolean {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length === 0) return false;
  for (const d of docs) {
    if (d.errors.length) {
      const e = d.errors[0];
      throw new InvalidYAMLError(`${rel} is not valid YAML (line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}); fix the file or exclude it with .sourceignore`);
    }
  }
  try {
    let objects = 0;
    for (const d of docs) {
      const v = d.toJS() as unknown;
      if (v === null || v === undefined) continue;
      if (typeof v !== "object" || !("apiVersion" in v) || !("kind" in v)) return false;
      objects++;
    }
    return objects > 0;
  } catch {
    return false;
  }
}

/**
 * generateKustomization writes a kustomization.yaml into dir when it has none, listing every .yaml/.yml
 * file below it that holds Kubernetes objects, and every subdirectory that has its own kustomization
 * (which is added as a directory and not descended). Returns the generated text, or undefined.
 */
export async function generateKustomization(root: string, dir: string): Promise<string | undefined> {
  if (await findKustomizationFile(dir)) return undefined;
  const rules = ignoreRules(await collectSourceIgnores(root));
  const resources: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(d, e.name);
      const rel = relative(root, abs).split("\\").join("/");
      if (e.isDirectory()) {
        if (rules.ignored(`${rel}/`)) continue;
        if (await findKustomizationFile(abs)) resources.push(relative(dir, abs).split("\\").join("/"));
        else await walk(abs);
      } else if (e.isFile() && /\.ya?ml$/.test(e.name) && !rules.ignored(rel)) {
        // A synchronous read: a tree of many small manifests is read about ten times faster than with
        // fs/promises (one open, stat, read and close round trip each through the thread pool).
        if (isKubernetesManifest(readFileSync(abs, "utf8"), rel)) resources.push(relative(dir, abs).split("\\").join("/"));
      }
    }
  };
  await walk(dir);
  const text =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
    (resources.length ? `resources:\n${resources.map((r) => `- ${r}`).join("\n")}\n` : "namespace: _placeholder\n");
  await writeFile(join(dir, "kustomization.yaml"), text);
  return text;
}
