// Ownership labels and the opt-out annotations that fluxiac honours (Flux's keys, so Flux users recognise them).
import type { KubeObject } from "../../build/kustomize";

/** OWNER_NAME_LABEL and OWNER_NAMESPACE_LABEL mark the Kustomization that applied an object. */
export const OWNER_NAME_LABEL = "kustomize.toolkit.fluxcd.io/name";
export const OWNER_NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace";
/** SSA_ANNOTATION: Override (default), Merge, IfNotPresent or Ignore. */
export const SSA_ANNOTATION = "kustomize.toolkit.fluxcd.io/ssa";
export const RECONCILE_ANNOTATION = "kustomize.toolkit.fluxcd.io/reconcile";
export const PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune";
/** FORCE_ANNOTATION: `enabled` recreates the object on an immutable change even without spec.force. */
export const FORCE_ANNOTATION = "kustomize.toolkit.fluxcd.io/force";

/** SSAPolicy is the value of the ssa annotation: how an object is applied. */
export type SSAPolicy = "Override" | "Merge" | "IfNotPresent" | "Ignore";

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

/** ssaPolicy reads the ssa annotation (or label), case-insensitively; Override when absent or unknown. */
export function ssaPolicy(o: KubeObject): SSAPolicy {
  for (const p of ["Merge", "IfNotPresent", "Ignore"] as const) if (marked(o, SSA_ANNOTATION, p)) return p;
  return "Override";
}

/** isForceEnabled: the object (manifest or live) asks to be recreated when an immutable field changes. */
export function isForceEnabled(o: KubeObject): boolean {
  return marked(o, FORCE_ANNOTATION, "enabled");
}

/**
 * skipReason says why an object is not applied, or undefined when it is: reconcile disabled or ssa
 * Ignore (in the manifest or on the live object), or ssa IfNotPresent on an object that exists.
 */
export function skipReason(desired: KubeObject, live: KubeObject | undefined): string | undefined {
  // As Flux's exclusion selector, reconcile: disabled and ssa: Ignore count on the manifest and on the live object.
  if (isReconcileDisabled(desired) || (live && isReconcileDisabled(live))) return `${RECONCILE_ANNOTATION}: disabled`;
  if (ssaPolicy(desired) === "Ignore" || (live && ssaPolicy(live) === "Ignore")) return `${SSA_ANNOTATION}: Ignore`;
  const policy = ssaPolicy(desired);
  if (policy === "IfNotPresent" && live) return `${SSA_ANNOTATION}: IfNotPresent and it exists`;
  return undefined;
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
