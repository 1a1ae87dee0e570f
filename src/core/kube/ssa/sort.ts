// Apply order: Flux's stages and kind order (fluxcd/pkg ssa/sort.go), as pure functions.
import type { KubeObject } from "../../build/kustomize";

/** KIND_ORDER is the order in which kinds are applied within a stage; unknown kinds come after it, webhooks last. */
export const KIND_ORDER = [
  "CustomResourceDefinition", "Namespace", "ResourceQuota", "StorageClass", "ServiceAccount", "PodSecurityPolicy",
  "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Service", "LimitRange",
  "PriorityClass", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
];
const LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/** kindRank gives a kind's position in apply order. */
export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  if (i >= 0) return i;
  const j = LAST.indexOf(kind);
  return j >= 0 ? KIND_ORDER.length + 1 + j : KIND_ORDER.length;
}

/** objectKey is how objects are named in messages: `Kind/namespace/name` or `Kind/name`. */
export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/** sortForApply orders objects by kind rank, then key, without mutating the input. */
export function sortForApply(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || (objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0));
}

/** isClusterDefinition: stage 1 kinds (CRDs, Namespaces, ClusterRoles). */
export function isClusterDefinition(o: KubeObject): boolean {
  return (
    (o.kind === "CustomResourceDefinition" && o.apiVersion.startsWith("apiextensions.k8s.io/")) ||
    (o.kind === "Namespace" && o.apiVersion === "v1") ||
    (o.kind === "ClusterRole" && o.apiVersion.startsWith("rbac.authorization.k8s.io/"))
  );
}

/** stages splits objects into Flux's apply stages: cluster definitions, `*Class` kinds, everything else. */
export function stages(objects: KubeObject[]): KubeObject[][] {
  const defs: KubeObject[] = [];
  const classes: KubeObject[] = [];
  const rest: KubeObject[] = [];
  for (const o of objects) (isClusterDefinition(o) ? defs : o.kind.endsWith("Class") ? classes : rest).push(o);
  return [defs, classes, rest].map(sortForApply).filter((s) => s.length > 0);
}
