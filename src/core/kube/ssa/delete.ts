// Delete: garbage-collect inventory entries in reverse apply order, only objects this owner labelled.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, isNotFound, objectHeader } from "../client";
import { entryToObject, type InventoryEntry } from "../inventory";
import type { ChangeSetEntry } from "./changeset";
import type { ResourceManager } from "./manager";
import { isOwnedBy, isPruneDisabled } from "./owner";
import { sortForApply, objectKey } from "./sort";

/** DeleteResult says what was deleted, skipped, and which entries failed (they stay in the inventory). */
export interface DeleteResult {
  entries: ChangeSetEntry[];
  failed: { entry: InventoryEntry; error: string }[];
}

/**
 * deleteAll deletes the objects of the given inventory entries in reverse kind order with background
 * propagation. An object is left alone when it is gone, lacks this owner's labels, or opts out of prune.
 */
export async function deleteAll(m: ResourceManager, stale: InventoryEntry[]): Promise<DeleteResult> {
  const byId = new Map<KubeObject, InventoryEntry>();
  const objects = stale.map((e) => {
    const o = entryToObject(e);
    byId.set(o, e);
    return o;
  });
  const result: DeleteResult = { entries: [], failed: [] };
  for (const obj of sortForApply(objects).reverse()) {
    const entry = byId.get(obj)!;
    const subject = objectKey(obj);
    try {
      const live = (await m.api.read(objectHeader(obj)).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      })) as KubeObject | undefined;
      if (!live) {
        result.entries.push({ subject, id: entry.id, action: "deleted" });
        continue;
      }
      if (!isOwnedBy(live, m.owner) || isPruneDisabled(live)) {
        m.log.info(`${subject}: kept (${isPruneDisabled(live) ? "prune disabled" : "not labelled by this Kustomization"})`);
        result.entries.push({ subject, id: entry.id, action: "skipped" });
        continue;
      }
      await m.api.delete(objectHeader(obj), undefined, undefined, undefined, undefined, "Background");
      result.entries.push({ subject, id: entry.id, action: "deleted" });
    } catch (err) {
      if (isNotFound(err)) {
        result.entries.push({ subject, id: entry.id, action: "deleted" });
        continue;
      }
      result.failed.push({ entry, error: `${subject} delete failed: ${apiMessage(err)}` });
    }
  }
  return result;
}

/**
 * waitForTermination polls the deleted objects until none exists any more (deletionPolicy
 * WaitForTermination), and throws naming the ones still there, with their finalizers, at the deadline.
 */
export async function waitForTermination(m: ResourceManager, deleted: InventoryEntry[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let remaining = deleted.map(entryToObject);
  for (;;) {
    const still: KubeObject[] = [];
    for (const obj of remaining) {
      const live = await m.api.read(objectHeader(obj)).then((o) => o as KubeObject, (err) => {
        if (isNotFound(err)) return undefined;
        throw new Error(`${objectKey(obj)} read failed: ${apiMessage(err)}`);
      });
      if (live) still.push(live);
    }
    if (!still.length) return;
    if (Date.now() > deadline) {
      const names = still.map((o) => {
        const finalizers = (o.metadata.finalizers as string[] | undefined) ?? [];
        return `${objectKey(o)}${finalizers.length ? ` (finalizers: ${finalizers.join(", ")})` : ""}`;
      });
      throw new Error(`still terminating after ${timeoutMs / 1000}s: ${names.join(", ")}`);
    }
    remaining = still;
    await sleep(Math.min(1000, Math.max(100, deadline - Date.now())));
  }
}
