// Readiness as data: the status of one object, and the generic checks every kind shares (kstatus).
import type { KubeObject } from "../../build/kustomize";

/** HealthStatus is kstatus's verdict on an object, reduced to what a health check needs. */
export type HealthStatus = "Current" | "InProgress" | "Failed";

/** Health is an object's readiness: its status and a message saying why. */
export interface Health {
  status: HealthStatus;
  message: string;
}

/** Condition is a Kubernetes status condition. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** HealthRule computes the health of one kind, after the generic checks passed. */
export type HealthRule = (obj: KubeObject) => Health;

/** current is a healthy object's Health. */
export const current = (message: string): Health => ({ status: "Current", message });
/** inProgress is the Health of an object still on its way. */
export const inProgress = (message: string): Health => ({ status: "InProgress", message });
/** failed is the Health of an object that will not get healthy by waiting: the check fails fast. */
export const failed = (message: string): Health => ({ status: "Failed", message });

/** statusOf returns an object's status, or an empty one. */
export function statusOf(obj: KubeObject): Record<string, unknown> {
  const s = (obj as { status?: unknown }).status;
  return s && typeof s === "object" ? (s as Record<string, unknown>) : {};
}

/** specOf returns an object's spec, or an empty one. */
export function specOf(obj: KubeObject): Record<string, unknown> {
  const s = (obj as { spec?: unknown }).spec;
  return s && typeof s === "object" ? (s as Record<string, unknown>) : {};
}

/** int reads an integer field, with a default when it is absent. */
export function int(v: unknown, fallback = 0): number {
  return typeof v === "number" ? v : fallback;
}

/** conditionsOf returns an object's status conditions. */
export function conditionsOf(obj: KubeObject): Condition[] {
  const c = statusOf(obj).conditions;
  return Array.isArray(c) ? (c.filter((x) => x && typeof x === "object" && typeof x.type === "string") as Condition[]) : [];
}

/** condition finds one condition by type. */
export function condition(obj: KubeObject, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/** describe renders a condition for a message: `reason: message`. */
export function describe(c: Condition): string {
  return [c.reason, c.message].filter(Boolean).join(": ") || `${c.type}=${c.status}`;
}

/**
 * genericHealth runs kstatus's checks shared by every kind, in its order: deletion, then
 * observedGeneration (before any condition), then Reconciling and Stalled. Undefined when they do not
 * decide, and the kind's rule runs.
 */
export function genericHealth(obj: KubeObject): Health | undefined {
  if ((obj.metadata as { deletionTimestamp?: string }).deletionTimestamp) return inProgress("resource scheduled for deletion");
  const observed = statusOf(obj).observedGeneration;
  const generation = (obj.metadata as { generation?: number }).generation;
  if (typeof observed === "number" && typeof generation === "number" && observed !== generation) {
    return inProgress(`${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`);
  }
  const reconciling = condition(obj, "Reconciling");
  if (reconciling?.status === "True") return inProgress(describe(reconciling));
  const stalled = condition(obj, "Stalled");
  if (stalled?.status === "True") return failed(describe(stalled));
  return undefined;
}
