// kustomize's default output order ("legacy", kustomize v5 sortOptions), so objects fluxiac reads itself
// come out in the order `kustomize build` would print them.
import type { KubeObject } from "./kustomize";

const ORDER_FIRST = [
  "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
  "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
  "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
  "CronJob", "PodDisruptionBudget",
];
const ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/** kindOrder ranks a kind: the listed first kinds below zero, unlisted kinds zero, the last kinds above. */
function kindOrder(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? 1 + last : 0;
}

/** gvkString is kustomize's `group_version_kind` with `~G`/`~V`/`~K` for empty parts. */
function gvkString(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/", 2) : ["", o.apiVersion];
  return `${group || "~G"}_${version || "~V"}_${o.kind || "~K"}`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** legacyCompare orders two objects as kustomize's legacy sort does: kind rank, then GVK, then namespace and name. */
function legacyCompare(a: KubeObject, b: KubeObject): number {
  const ga = gvkString(a);
  const gb = gvkString(b);
  if (ga !== gb) {
    const rank = kindOrder(a.kind) - kindOrder(b.kind);
    if (rank !== 0) return rank;
    // kustomize puts a core Namespace after a same-named kind of another group.
    const reversed = a.kind === "Namespace" && b.kind === "Namespace" && (!a.apiVersion.includes("/") || !b.apiVersion.includes("/"));
    return reversed ? compare(gb, ga) : compare(ga, gb);
  }
  return compare(`${a.metadata.namespace || "~X"}|${a.metadata.name || "~N"}`, `${b.metadata.namespace || "~X"}|${b.metadata.name || "~N"}`);
}

/** sortLegacy returns the objects in kustomize's legacy output order, without mutating the input. */
export function sortLegacy(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort(legacyCompare);
}
