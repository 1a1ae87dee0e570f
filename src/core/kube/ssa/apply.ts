// Apply: staged server-side apply of only the objects whose dry-run differs from the cluster.
import type { PatchStrategy } from "@kubernetes/client-node";
import pLimit from "p-limit";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, isNotFound, objectHeader, statusCode } from "../client";
import { entryOf } from "../inventory";
import type { ChangeSet, ChangeSetEntry } from "./changeset";
import { conflictHint, conflictWarning } from "./conflict";
import { ApplyObjectError, diffAll, type DiffResult } from "./diff";
import type { IgnoreRule } from "./ignore";
import { takenOverManagers } from "./managed-fields";
import { FIELD_MANAGER, type ResourceManager } from "./manager";
import { kindRank, objectKey, stages } from "./sort";

/** ApplyOptions tune applyAllStaged. */
export interface ApplyOptions {
  /** Recreate objects whose change touches an immutable field. Default false. */
  force?: boolean;
  /** How long to wait for CRDs to become Established. Default 60 s. */
  crdTimeoutMs?: number;
  /** spec.ignore: paths left out of drift detection and adopted from the cluster. */
  ignore?: IgnoreRule[];
  /** A plan's comparisons made moments ago, by inventory id: those objects are not read and dry-run again. Default none. */
  planned?: Map<string, DiffResult>;
}

/**
 * PartialApplyError is a staged apply that failed after it wrote to the cluster. `applied` lists the
 * objects known to be in the cluster as built (applied, unchanged or skipped) before the failure, so
 * the caller can record them in the inventory.
 */
export class PartialApplyError extends Error {
  constructor(override readonly cause: unknown, readonly applied: ChangeSetEntry[]) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** applyOne server-side applies one object with force ownership (field manager "fluxiac"); the answer is not read. */
export async function applyOne(m: ResourceManager, obj: KubeObject): Promise<void> {
  try {
    await m.api.patchWithoutResult(obj, undefined, FIELD_MANAGER, true, "application/apply-patch+yaml" as PatchStrategy);
  } catch (err) {
    const status = statusCode(err);
    throw new ApplyObjectError(objectKey(obj), "apply", status, conflictHint(status, apiMessage(err)));
  }
}

/** takeOver moves kubectl's managed fields to fluxiac and drops the last-applied annotation (Flux's cleanup). */
async function takeOver(m: ResourceManager, d: DiffResult): Promise<void> {
  m.log.info(`${d.subject}: taking over the fields of ${takenOverManagers(d.live!).join(", ") || "kubectl's last-applied annotation"}`);
  try {
    await m.api.patch(d.takeover!, undefined, undefined, FIELD_MANAGER, undefined, "application/merge-patch+json");
  } catch (err) {
    throw new ApplyObjectError(d.subject, "metadata.managedFields cleanup", statusCode(err), apiMessage(err));
  }
}

async function recreate(m: ResourceManager, obj: KubeObject): Promise<void> {
  await m.api.delete(objectHeader(obj), undefined, undefined, undefined, undefined, "Background").catch((err) => {
    if (!isNotFound(err)) throw new ApplyObjectError(objectKey(obj), "delete (force)", statusCode(err), apiMessage(err));
  });
  for (let i = 0; i < 120; i++) {
    const gone = await m.api.read(objectHeader(obj)).then(() => false, (err) => isNotFound(err));
    if (gone) break;
    await sleep(500);
  }
  await applyOne(m, obj);
}

/** waitForCRDs waits until every CRD among objects is Established. */
export async function waitForCRDs(m: ResourceManager, objects: KubeObject[], timeoutMs = 60_000): Promise<void> {
  const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = (await m.api.read(objectHeader(crd)).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw new ApplyObjectError(objectKey(crd), "wait", statusCode(err), apiMessage(err));
      })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      if (live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new ApplyObjectError(objectKey(crd), "wait", undefined, `not Established after ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  }
  if (crds.length) m.api.forgetDiscovery();
}

/**
 * applyChanged applies the objects a diff found created or configured, kind rank by kind rank, and
 * pushes each one to `applied` once the API server took it. The first failure is thrown after the
 * requests in flight have settled.
 */
async function applyChanged(m: ResourceManager, diffs: DiffResult[], applied: ChangeSetEntry[]): Promise<void> {
  const limit = pLimit(m.concurrency);
  const byRank = new Map<number, DiffResult[]>();
  for (const d of diffs) {
    if (d.action !== "created" && d.action !== "configured") continue;
    const r = kindRank(d.object.kind);
    byRank.set(r, [...(byRank.get(r) ?? []), d]);
  }
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    const results = await Promise.allSettled(
      byRank.get(rank)!.map((d) =>
        limit(async () => {
          for (const c of d.conflicts ?? []) {
            m.log.warn(conflictWarning(d.subject, c));
          }
          if (d.takeover) await takeOver(m, d);
          // The dry-run already refused immutable changes without force, or marked them for recreation.
          if (!d.recreate) await applyOne(m, d.object);
          else {
            m.log.info(`${d.subject}: immutable field changed, recreating (force)`);
            await recreate(m, d.object);
          }
          applied.push({ subject: d.subject, id: d.id, action: d.action });
        }),
      ),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}

/**
 * applyAllStaged applies objects in Flux's stages (CRDs/Namespaces/ClusterRoles, then *Class kinds,
 * then the rest), waiting for CRDs to be Established between stages. Within a stage it dry-runs every
 * object in parallel (but those a recent plan compared) and applies only those that differ. Returns
 * the change set; a failure after something was written is a PartialApplyError listing what is in the
 * cluster.
 */
export async function applyAllStaged(m: ResourceManager, objects: KubeObject[], opts: ApplyOptions = {}): Promise<ChangeSet> {
  const entries: ChangeSetEntry[] = [];
  const all = stages(objects);
  const planned = (o: KubeObject) => opts.planned?.get(entryOf(o).id);
  for (const [i, stage] of all.entries()) {
    const applied: ChangeSetEntry[] = [];
    try {
      const compared = new Map((await diffAll(m, stage.filter((o) => !planned(o)), { dryRunCreates: false, force: opts.force, ignore: opts.ignore })).map((d) => [d.id, d]));
      const diffs = stage.map((o) => planned(o) ?? compared.get(entryOf(o).id)!);
      for (const d of diffs) if (d.action === "unchanged" || d.action === "skipped") applied.push({ subject: d.subject, id: d.id, action: d.action });
      for (const d of diffs) if (d.skipReason) m.log.info(`${d.subject}: skipped (${d.skipReason})`);
      await applyChanged(m, diffs, applied);
      await waitForCRDs(m, stage, opts.crdTimeoutMs);
      const order = new Map(diffs.map((d, j) => [d.id, j]));
      entries.push(...applied.sort((a, b) => order.get(a.id)! - order.get(b.id)!));
    } catch (err) {
      const done = [...entries, ...applied];
      throw done.some((e) => e.action === "created" || e.action === "configured") ? new PartialApplyError(err, done) : err;
    }
    m.log.debug(`applied stage ${i + 1} of ${all.length}: ${stage.length} objects`);
  }
  return { entries };
}
