// renderDrift: a readable line diff between a live object and what an apply would make of it, with
// Secret values masked (never printed).
import { structuredPatch } from "diff";
import { stringify } from "yaml";
import type { KubeObject } from "../core/build/kustomize";
import { comparable } from "../core/kube/ssa/diff";

/** MASK replaces every Secret value; changed values show which side they are on. */
export const MASK = "***";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function isSecret(o: KubeObject): boolean {
  return o.kind === "Secret" && o.apiVersion === "v1";
}

/** maskSecrets returns copies of both sides with Secret values replaced: equal values by `***`, differing ones by `*** (before)` / `*** (after)`. */
export function maskSecrets(before: Record<string, unknown>, after: Record<string, unknown>): [Record<string, unknown>, Record<string, unknown>] {
  const masked = (side: Record<string, unknown>, other: Record<string, unknown>, label: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...side };
    for (const field of ["data", "stringData"]) {
      const values = side[field] as Record<string, unknown> | undefined;
      if (!values || typeof values !== "object") continue;
      const others = (other[field] ?? {}) as Record<string, unknown>;
      out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, String(values[k]) === String(others[k]) ? MASK : `${MASK} (${label})`]));
    }
    const meta = side.metadata as { annotations?: Record<string, string> } | undefined;
    if (meta?.annotations?.[LAST_APPLIED] !== undefined) {
      out.metadata = { ...meta, annotations: { ...meta.annotations, [LAST_APPLIED]: MASK } };
    }
    return out;
  };
  return [masked(before, after, "before"), masked(after, before, "after")];
}

/** renderDrift lists the changed lines (YAML, two lines of context, `-` live, `+` desired) between live and dryRun. */
export function renderDrift(live: KubeObject, dryRun: KubeObject): string[] {
  let [before, after] = [comparable(live), comparable(dryRun)];
  if (isSecret(live) || isSecret(dryRun)) [before, after] = maskSecrets(before, after);
  const patch = structuredPatch("live", "desired", stringify(before, { sortMapEntries: true }), stringify(after, { sortMapEntries: true }), undefined, undefined, { context: 2 });
  return patch.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines]);
}
