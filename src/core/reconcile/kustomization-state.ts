// What a Kustomization records when a reconcile changed the cluster and then failed: the inventory of
// what is in the cluster, so that nothing is orphaned, and the last revision that fully applied.
import { PartialFailureError, type FluxiacError } from "../errors";
import type { Inventory, InventoryEntry } from "../kube/inventory";
import type { ChangeSetEntry } from "../kube/ssa/changeset";
import type { KustomizationHealth } from "./kustomization-health";

/** KustomizationState is the state of PartialFailureError for a Kustomization. */
export interface KustomizationState {
  inventory: Inventory;
  /** The revision of the last reconcile that succeeded; a failed one does not move it (as Flux). */
  lastAppliedRevision?: string;
  /** The revision the failed reconcile tried to apply. */
  lastAttemptedRevision?: string;
  /** The health check's result, when the failure was an unhealthy object. */
  health?: KustomizationHealth;
}

/** sortedInventory returns entries sorted by id, one per id (the later wins). */
export function sortedInventory(entries: InventoryEntry[]): Inventory {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return { entries: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

/**
 * appliedInventory is the previous inventory plus the objects an interrupted apply wrote: nothing of
 * the previous one was pruned, and everything now in the cluster is listed.
 */
export function appliedInventory(previous: Inventory | undefined, applied: ChangeSetEntry[], built: Inventory): Inventory {
  const versions = new Map(built.entries.map((e) => [e.id, e.v]));
  const added = applied.filter((a) => versions.has(a.id)).map((a) => ({ id: a.id, v: versions.get(a.id)! }));
  return sortedInventory([...(previous?.entries ?? []), ...added]);
}

/** detail is a FluxiacError's message without its `<Kind> "<name>": ` prefix. */
function detail(err: FluxiacError): string {
  return err.message.slice(`${err.object.kind} "${err.object.name}": `.length);
}

/**
 * interruptedApply is the failure of an apply that wrote `applied` and then failed with `err`: the
 * message adds that nothing was pruned, the state is the previous inventory plus what was written.
 */
export function interruptedApply(
  err: FluxiacError,
  applied: ChangeSetEntry[],
  previous: { inventory?: Inventory; lastAppliedRevision?: string } | undefined,
  built: Inventory,
): PartialFailureError<KustomizationState> {
  const n = applied.filter((a) => a.action === "created" || a.action === "configured").length;
  const message = `${detail(err).replace(/\. Nothing was pruned$/, "")}. Nothing was pruned; the ${n} object${n === 1 ? "" : "s"} applied before the failure ${n === 1 ? "is" : "are"} in the inventory`;
  const state = { inventory: appliedInventory(previous?.inventory, applied, built), lastAppliedRevision: previous?.lastAppliedRevision };
  return new PartialFailureError(err.object, err.reason, message, state, { cause: err });
}
