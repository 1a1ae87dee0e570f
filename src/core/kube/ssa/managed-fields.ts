// Managed fields: reading fieldsV1 sets, the takeover of kubectl's fields before an apply (Flux's
// ApplyCleanupOptions) and the fields a forced apply takes from other managers.
import type { KubeObject } from "../../build/kustomize";
import { FIELD_MANAGER } from "./manager";

/** ManagedFieldsEntry is one entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

/** FieldSet is the fieldsV1 tree: keys like `f:spec`, `k:{"name":"web"}`, and `.` for the node itself. */
export type FieldSet = { [key: string]: FieldSet };

/** LAST_APPLIED_ANNOTATION is kubectl's client-side apply record, removed when fluxiac takes an object over. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** TAKEOVER_MANAGERS are the managers whose fields fluxiac takes over, as Flux's kustomize-controller does. */
const TAKEOVER_MANAGERS = [
  { prefix: "kubectl", operations: ["Apply", "Update"] }, // kubectl apply (client- and server-side), edit, patch
  { prefix: "before-first-apply", operations: ["Update"] }, // the server's record of fields set before any apply
];

export function managedFieldsOf(o: KubeObject): ManagedFieldsEntry[] {
  return ((o.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []);
}

function isTakenOver(e: ManagedFieldsEntry): boolean {
  return !e.subresource && TAKEOVER_MANAGERS.some((t) => (e.manager ?? "").startsWith(t.prefix) && t.operations.includes(e.operation ?? ""));
}

function mergeFieldSets(a: FieldSet = {}, b: FieldSet = {}): FieldSet {
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = mergeFieldSets(out[k], v);
  return out;
}

/**
 * takeoverPatch returns the merge patch that moves the fields of kubectl and before-first-apply into
 * fluxiac's Apply entry and drops kubectl's last-applied annotation, or undefined when there is
 * nothing to take over. Fields fluxiac then owns but no longer applies are removed by its next apply.
 */
export function takeoverPatch(live: KubeObject): KubeObject | undefined {
  const entries = managedFieldsOf(live);
  const taken = entries.filter(isTakenOver);
  const lastApplied = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined;
  if (!taken.length && !lastApplied) return undefined;
  const kept = entries.filter((e) => !isTakenOver(e));
  if (taken.length) {
    const i = kept.findIndex((e) => e.manager === FIELD_MANAGER && e.operation === "Apply" && !e.subresource);
    const own: ManagedFieldsEntry = i >= 0 ? kept[i] : { manager: FIELD_MANAGER, operation: "Apply", apiVersion: live.apiVersion, fieldsType: "FieldsV1", fieldsV1: {} };
    const merged = { ...own, time: new Date().toISOString().replace(/\.\d+Z$/, "Z"), fieldsV1: taken.reduce((s, e) => mergeFieldSets(s, e.fieldsV1), own.fieldsV1) };
    if (i >= 0) kept[i] = merged;
    else kept.push(merged);
  }
  const metadata: Record<string, unknown> = { name: live.metadata.name, managedFields: kept };
  if (live.metadata.namespace) metadata.namespace = live.metadata.namespace;
  if (lastApplied) metadata.annotations = { [LAST_APPLIED_ANNOTATION]: null };
  return { apiVersion: live.apiVersion, kind: live.kind, metadata } as KubeObject;
}

/** takenOverManagers names the managers whose fields the takeover moves to fluxiac. */
export function takenOverManagers(live: KubeObject): string[] {
  return [...new Set(managedFieldsOf(live).filter(isTakenOver).map((e) => e.manager!))];
}

/** fieldPaths lists the leaf paths of a field set, e.g. `.data.color`, `.spec.containers[name=web].image`. */
export function fieldPaths(set: FieldSet = {}, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(set)) {
    if (k === ".") continue;
    const seg = k.startsWith("f:") ? `.${k.slice(2)}` : k.startsWith("k:") ? `[${k.slice(2)}]` : `[${k}]`;
    const children = fieldPaths(v, prefix + seg);
    out.push(...(children.length ? children : [prefix + seg]));
  }
  return out;
}

/** FieldConflict is a field a forced apply takes from another manager. */
export interface FieldConflict {
  manager: string;
  fields: string[];
}

/**
 * forcedConflicts compares the managed fields of the live object with those of a forced dry-run apply
 * and returns, per other manager, the fields fluxiac takes from it (conflicting values; equal values
 * are shared and not listed). Takeover managers (kubectl) are left out: taking them over is intended.
 */
export function forcedConflicts(live: KubeObject, dryRun: KubeObject): FieldConflict[] {
  const after = managedFieldsOf(dryRun);
  const out: FieldConflict[] = [];
  for (const e of managedFieldsOf(live)) {
    if (e.manager === FIELD_MANAGER || isTakenOver(e)) continue;
    const same = after.find((a) => a.manager === e.manager && a.operation === e.operation && (a.subresource ?? "") === (e.subresource ?? ""));
    const left = new Set(fieldPaths(same?.fieldsV1));
    const lost = fieldPaths(e.fieldsV1).filter((p) => !left.has(p));
    if (lost.length) out.push({ manager: e.manager ?? "(unknown)", fields: lost });
  }
  return out;
}
