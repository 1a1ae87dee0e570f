// kustomizationOverride: the user's own `<path>/flux-system/kustomization.yaml`, checked before anything is
// pushed so that Flux's controllers can still build the directory.
import { parseAllDocuments } from "yaml";
import { COMPONENTS_FILE, SYNC_FILE } from "./sync-manifests";

/** KUSTOMIZE_API_GROUP is the API group of kustomize's own Kustomization (kustomization.yaml). */
const KUSTOMIZE_API_GROUP = "kustomize.config.k8s.io/";

/**
 * kustomizationOverrideProblem says what is wrong with an override, or undefined when it is a kustomize
 * Kustomization (a single YAML mapping, `kind: Kustomization` of kustomize.config.k8s.io when given) whose
 * resources list gotk-sync.yaml, and gotk-components.yaml when components are written.
 */
export function kustomizationOverrideProblem(text: string, withComponents: boolean): string | undefined {
  const docs = parseAllDocuments(text);
  if ("empty" in docs || docs.length === 0) return "kustomizationOverride is empty: give the whole kustomization.yaml";
  if (docs.length !== 1) return `kustomizationOverride must be a single YAML document (a kustomization.yaml), not ${docs.length}`;
  const [doc] = docs;
  if (doc.errors.length) return `kustomizationOverride is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`;
  const k = doc.toJS() as unknown;
  if (!k || typeof k !== "object" || Array.isArray(k)) return "kustomizationOverride must be a kustomization.yaml mapping (apiVersion, kind: Kustomization, resources)";
  const { apiVersion, kind, resources } = k as { apiVersion?: unknown; kind?: unknown; resources?: unknown };
  if (kind !== undefined && kind !== "Kustomization") return `kustomizationOverride has kind "${String(kind)}": it must be a kustomize Kustomization`;
  if (apiVersion !== undefined && !(typeof apiVersion === "string" && apiVersion.startsWith(KUSTOMIZE_API_GROUP))) {
    return `kustomizationOverride has apiVersion "${String(apiVersion)}": use kustomize.config.k8s.io/v1beta1`;
  }
  const listed = new Set((Array.isArray(resources) ? resources : []).map((r) => String(r).replace(/^\.\//, "")));
  const needed = [...(withComponents ? [COMPONENTS_FILE] : []), SYNC_FILE].filter((f) => !listed.has(f));
  if (needed.length) return `kustomizationOverride must list ${needed.join(" and ")} in resources, or Flux's controllers lose their own sync objects`;
  return undefined;
}
