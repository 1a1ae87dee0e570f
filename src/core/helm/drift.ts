// Drift detection of a Helm release (Flux's helm-controller internal/action/diff.go): every object of
// the release manifest is dry-run server-side applied; an object whose result differs from the live
// one, or that is gone, has drifted. Correction applies those objects (server-side, forced).
import pLimit from "p-limit";
import YAML from "yaml";
import type { KubeObject } from "../build/kustomize";
import { applyOne } from "../kube/ssa/apply";
import { diffAll, type DiffResult } from "../kube/ssa/diff";
import type { IgnoreRule } from "../kube/ssa/ignore";
import type { ResourceManager } from "../kube/ssa/manager";

/** DRIFT_ANNOTATION on an object with value "disabled" leaves it out of drift detection (Flux's). */
export const DRIFT_ANNOTATION = "helm.toolkit.fluxcd.io/driftDetection";

/** DriftedObject is one object that differs from the release manifest. */
export interface DriftedObject {
  /** `Kind/namespace/name`. */
  subject: string;
  /** "missing" (deleted from the cluster) or the fields that differ, e.g. "data". */
  fields: string[];
  diff: DiffResult;
}

/** manifestObjects parses a release manifest and gives namespaced objects without a namespace the release's. */
export async function manifestObjects(m: ResourceManager, text: string, namespace: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    const o = doc.toJS() as KubeObject | null;
    if (!o?.kind || !o.metadata?.name) continue;
    const info = await m.api.apiResource(o.apiVersion, o.kind);
    const metadata = { ...o.metadata };
    if (info?.namespaced && !metadata.namespace) metadata.namespace = namespace;
    if (info && !info.namespaced) delete metadata.namespace;
    objects.push({ ...o, metadata });
  }
  return objects;
}

/**
 * detectDrift compares the release's objects with the cluster. Objects annotated
 * `helm.toolkit.fluxcd.io/driftDetection: disabled` and the ignore rules' paths are left out; a
 * difference only in who manages fields is not drift.
 */
export async function detectDrift(m: ResourceManager, objects: KubeObject[], ignore: IgnoreRule[] | undefined): Promise<DriftedObject[]> {
  const watched = objects.filter((o) => (o.metadata.annotations?.[DRIFT_ANNOTATION] ?? "").toLowerCase() !== "disabled");
  const diffs = await diffAll(m, watched, { dryRunCreates: false, ignore });
  const drifted: DriftedObject[] = [];
  for (const d of diffs) {
    if (d.action === "created") drifted.push({ subject: d.subject, fields: ["missing"], diff: d });
    const fields = d.fields.filter((f) => f !== "metadata.managedFields");
    if (d.action === "configured" && fields.length) drifted.push({ subject: d.subject, fields, diff: d });
  }
  return drifted;
}

/** correctDrift applies each drifted object as the release manifest has it, m.concurrency at a time. */
export async function correctDrift(m: ResourceManager, drifted: DriftedObject[]): Promise<void> {
  const limit = pLimit(m.concurrency);
  await Promise.all(drifted.map((d) => limit(() => applyOne(m, d.diff.object))));
}
