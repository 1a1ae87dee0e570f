// Ownership labels and the opt-out annotations that fluxiac honours (Flux's keys, so Flux users recognise them).
import type { KubeObject } from "../../build/kustomize";

/** OWNER_NAME_LABEL and OWNER_NAMESPACE_LABEL mark the Kustomization that applied an object. */
export const OWNER_NAME_LABEL = "kustomize.toolkit.fluxcd.io/name";
export const OWNER_NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace";
/** SSA_ANNOTATION: Override (default), Merge, IfNotPresent or Ignore. */
export const SSA_ANNOTATION = "kustomize.toolkit.fluxcd.io/ssa";
export const RECONCILE_ANNOTATION = "kustomize.toolkit.fluxcd.io/reconcile";
export const PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune";

/** Owner identifies a Kustomization in ownership labels. */
export interface Owner {
  name: string;
  namespace: string;
}

function marked(o: KubeObject, key: string, value: string): boolean {
  const v = o.metadata.annotations?.[key] ?? o.metadata.labels?.[key];
  return typeof v === "string" && v.toLowerCase() === value.toLowerCase();
}

/** isReconcileDisabled: the object is skipped entirely. */
export function isReconcileDisabled(o: KubeObject): boolean {
  return marked(o, RECONCILE_ANNOTATION, "disabled");
}

/** isPruneDisabled: the object is never deleted by prune or destroy. */
export function isPruneDisabled(o: KubeObject): boolean {
  return marked(o, PRUNE_ANNOTATION, "disabled") || marked(o, SSA_ANNOTATION, "Ignore") || isReconcileDisabled(o);
}

/** isOwnedBy reports whether a live object carries this owner's labels. */
export function isOwnedBy(o: KubeObject, owner: Owner): boolean {
  return o.metadata.labels?.[OWNER_NAME_LABEL] === owner.name && o.metadata.labels?.[OWNER_NAMESPACE_LABEL] === owner.namespace;
}

/** withOwner returns a copy of the object with the ownership labels set. */
export function withOwner(o: KubeObject, owner: Owner): KubeObject {
  return {
    ...o,
    metadata: { ...o.metadata, labels: { ...(o.metadata.labels ?? {}), [OWNER_NAME_LABEL]: owner.name, [OWNER_NAMESPACE_LABEL]: owner.namespace } },
  };
}
