// A Kustomization's health check after apply: which objects (wait / healthChecks), how long (timeout),
// and the PartialFailureError that records what was applied when they are not healthy.
import type { KubeObject } from "../build/kustomize";
import { parseDuration } from "../duration";
import { PartialFailureError, type ObjectRef } from "../errors";
import { entryOf, type Inventory } from "../kube/inventory";
import type { HealthCheckExpr } from "../kube/health/cel";
import { waitForHealth, type ObjectHealth } from "../kube/health/wait";
import type { ChangeSet } from "../kube/ssa/changeset";
import type { ResourceManager } from "../kube/ssa/manager";
import { isReconcileDisabled } from "../kube/ssa/owner";

export { validateHealthCheck } from "./validate-health-check";

/** NamespacedObjectKindReference names one object to health-check (Flux's `healthChecks[]` entry). */
export interface NamespacedObjectKindReference {
  apiVersion: string;
  kind: string;
  name: string;
  /** Namespace of the object; omit for cluster-scoped kinds. */
  namespace?: string;
}

/** HealthCheckSpec are the Kustomization fields of the health check (Flux's names). */
export interface HealthCheckSpec {
  /** Check every applied object; overrides healthChecks. Default false. */
  wait?: boolean;
  /** Objects to check when wait is off. */
  healthChecks?: NamespacedObjectKindReference[];
  /** CEL rules for kinds kstatus does not know. */
  healthCheckExprs?: HealthCheckExpr[];
  /**
   * How long to wait for health, as a Go duration ("90s", "5m", "1h30m"). Default "5m": Flux's default
   * is interval − 30s (minimum 30s), and fluxiac has no interval; 5m is Flux's usual `interval: 5m`
   * timeout budget and long enough for a rollout on a real cluster.
   */
  timeout?: string;
}

/** DEFAULT_TIMEOUT is the health-check timeout when `timeout` is not set. */
export const DEFAULT_TIMEOUT = "5m";

/** KustomizationHealth is the recorded result of the last health check. */
export interface KustomizationHealth {
  /** Current: every checked object is healthy (or nothing was checked). */
  status: "Current" | "InProgress" | "Failed";
  message: string;
  /** How many objects were checked. */
  checked: number;
}

/** KustomizationAppliedState is what a Kustomization records when the apply succeeded but health did not. */
export interface KustomizationAppliedState {
  inventory: Inventory;
  /** Unchanged from the previous reconcile, as Flux does: the revision is applied only once healthy. */
  lastAppliedRevision: string;
  lastAttemptedRevision: string;
  health: KustomizationHealth;
}

/**
 * healthTargets picks the objects to check: with wait, every applied object except those the apply
 * skipped; otherwise the healthChecks entries.
 */
export function healthTargets(spec: HealthCheckSpec, applied: KubeObject[], changeSet: ChangeSet): KubeObject[] {
  if (spec.wait) {
    const skipped = new Set(changeSet.entries.filter((e) => e.action === "skipped").map((e) => e.id));
    return applied.filter((o) => !skipped.has(entryOf(o).id) && !isReconcileDisabled(o));
  }
  return (spec.healthChecks ?? []).map((h) => ({
    apiVersion: h.apiVersion,
    kind: h.kind,
    metadata: h.namespace ? { name: h.name, namespace: h.namespace } : { name: h.name },
  }));
}

function render(o: ObjectHealth): string {
  return `${o.subject}: ${o.health.message} (${o.health.status})`;
}

/**
 * checkHealth waits for the targets and returns the health to record. When they are not healthy it
 * throws PartialFailureError (reason HealthCheckFailed, or Cancelled when the context's signal stopped
 * the wait) carrying `state`, naming each unhealthy object with its message and the field to change.
 */
export async function checkHealth(
  object: ObjectRef,
  spec: HealthCheckSpec,
  m: ResourceManager,
  targets: KubeObject[],
  state: Omit<KustomizationAppliedState, "health">,
): Promise<KustomizationHealth> {
  if (!targets.length) return { status: "Current", message: "no health checks", checked: 0 };
  const timeout = spec.timeout ?? DEFAULT_TIMEOUT;
  const result = await waitForHealth(m, targets, { timeoutMs: parseDuration(timeout, "timeout"), exprs: spec.healthCheckExprs });
  if (result.healthy) {
    m.log.info(`${object.kind} "${object.name}": ${targets.length} object(s) healthy after ${Math.round(result.elapsedMs / 100) / 10}s`);
    return { status: "Current", message: `${targets.length} object(s) healthy`, checked: targets.length };
  }
  const unhealthy = result.objects.filter((o) => o.health.status !== "Current");
  if (result.cancelled) {
    const health: KustomizationHealth = { status: "InProgress", message: unhealthy.map(render).join("; "), checked: targets.length };
    const message = `health check cancelled after ${Math.round(result.elapsedMs / 1000)}s (the run was interrupted) while waiting for ${unhealthy.map(render).join("; ")}; the objects were applied and are in the inventory, nothing was pruned: apply again to finish`;
    throw new PartialFailureError(object, "Cancelled", message, { ...state, health });
  }
  const failedOnes = unhealthy.filter((o) => o.health.status === "Failed");
  const message = result.timedOut
    ? `health check timed out after ${timeout} waiting for ${unhealthy.map(render).join("; ")}; fix the objects, or raise timeout if they need longer`
    : `health check failed: ${failedOnes.map(render).join("; ")}; fix the objects and apply again`;
  const health: KustomizationHealth = { status: result.timedOut ? "InProgress" : "Failed", message: unhealthy.map(render).join("; "), checked: targets.length };
  throw new PartialFailureError(object, "HealthCheckFailed", message, { ...state, health });
}
