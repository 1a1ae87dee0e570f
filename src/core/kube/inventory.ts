// Inventory: the objects a Kustomization applied, in Flux's format. Pure functions over plain data.
import type { KubeObject } from "../build/kustomize";

/** InventoryEntry is Flux's `{id: "<ns>_<name>_<group>_<kind>", v: "<version>"}`. */
export interface InventoryEntry {
  id: string;
  v: string;
}

/** Inventory is the set of applied objects. */
export interface Inventory {
  entries: InventoryEntry[];
}

/** ObjMetadata identifies an object regardless of its version. */
export interface ObjMetadata {
  namespace: string;
  name: string;
  group: string;
  kind: string;
}

/** splitApiVersion returns the group ("" for core) and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** entryOf builds the inventory entry of an object. */
export function entryOf(obj: KubeObject): InventoryEntry {
  const { group, version } = splitApiVersion(obj.apiVersion);
  return { id: `${obj.metadata.namespace ?? ""}_${obj.metadata.name}_${group}_${obj.kind}`, v: version };
}

/** parseEntryId splits an inventory id back into its parts. Names cannot contain "_", so the split is exact. */
export function parseEntryId(id: string): ObjMetadata {
  const parts = id.split("_");
  if (parts.length !== 4) throw new Error(`"${id}" is not an inventory id (<namespace>_<name>_<group>_<kind>)`);
  const [namespace, name, group, kind] = parts;
  return { namespace, name, group, kind };
}

/** entryToObject turns an entry back into an object header for reads and deletes. */
export function entryToObject(e: InventoryEntry): KubeObject {
  const m = parseEntryId(e.id);
  return {
    apiVersion: m.group ? `${m.group}/${e.v}` : e.v,
    kind: m.kind,
    metadata: m.namespace ? { name: m.name, namespace: m.namespace } : { name: m.name },
  };
}

/** inventoryOf builds an inventory from objects, sorted by id. */
export function inventoryOf(objects: KubeObject[]): Inventory {
  return { entries: objects.map(entryOf).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

/** staleEntries returns the entries of `previous` that are no longer in `next` (compared by id, ignoring version). */
export function staleEntries(previous: Inventory | undefined, next: Inventory): InventoryEntry[] {
  if (!previous) return [];
  const keep = new Set(next.entries.map((e) => e.id));
  return previous.entries.filter((e) => !keep.has(e.id));
}
