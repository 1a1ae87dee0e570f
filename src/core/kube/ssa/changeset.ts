// ChangeSet: the single result type of every SSA verb.

/** Action is what happened (or would happen) to one object. */
export type Action = "created" | "configured" | "unchanged" | "deleted" | "skipped";

/** ChangeSetEntry is one object's action, named `Kind/namespace/name`. */
export interface ChangeSetEntry {
  subject: string;
  id: string;
  action: Action;
}

/** ChangeSet lists the actions of one operation. */
export interface ChangeSet {
  entries: ChangeSetEntry[];
}

/** summarize counts a change set's actions, e.g. "3 created, 1 configured". */
export function summarize(cs: ChangeSet): string {
  const counts = new Map<Action, number>();
  for (const e of cs.entries) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
  return [...counts].map(([a, n]) => `${n} ${a}`).join(", ") || "no objects";
}
