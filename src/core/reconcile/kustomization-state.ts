// What a Kustomization records when a reconcile changed the cluster and then failed: the inventory of
// what is in the cluster, so that nothing is orphaned, and the last revision that fully applied.
import { FluxiacError, PartialFailureError, type ObjectRef } from "../errors";
import { type Inventory, type InventoryEntry } from "../kube/inventory";
import type { ChangeSetEntry } from "../kube/ssa/changeset";

/** KustomizationState is the state of PartialFailureError for a Kustomization. */
export interface KustomizationState {
  inventory: Inventory;
  /** The revision of the last reconcile that succeeded; a failed one does not move it (as Flux). */
  lastAppliedRevision?: string;
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

/** partialFailure wraps an error of a reconcile that changed the cluster, with the state to record. */
export function partialFailure(object: ObjectRef, err: FluxiacError, state: KustomizationState): PartialFailureError<KustomizationState> {
  return new PartialFailureError(object, err.reason, err.message.slice(`${object.kind} "${object.name}": `.length), state, { cause: err });
}
