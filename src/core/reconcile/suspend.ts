// suspend: a suspended Kustomization plans and applies nothing and keeps what the previous reconcile recorded.
import type { ReconcileContext } from "./context";
import type { KustomizationPlan, KustomizationResult, KustomizationStatus } from "./kustomization";

/** suspendedPlan is the plan of a suspended Kustomization: no change, the previous state kept. */
export function suspendedPlan(previous: KustomizationStatus | undefined): KustomizationPlan {
  return {
    revision: previous?.lastAppliedRevision ?? "",
    inventory: previous?.inventory ?? { entries: [] },
    objects: previous?.objects ?? {},
    changes: { create: [], update: [], prune: [], drifted: [], skipped: [], unchanged: previous?.inventory?.entries.length ?? 0 },
    diffs: [],
  };
}

/** suspendedResult is the apply of a suspended Kustomization: nothing touched, the previous state kept. */
export function suspendedResult(name: string, previous: KustomizationStatus | undefined, ctx: ReconcileContext): KustomizationResult {
  ctx.log.info(`Kustomization "${name}": suspended; nothing applied`);
  return {
    lastAppliedRevision: previous?.lastAppliedRevision ?? "",
    inventory: previous?.inventory ?? { entries: [] },
    changeSet: { entries: [] },
    health: previous?.health ?? { status: "Current", message: "suspended before its first apply", checked: 0 },
  };
}
