// Apply: staged server-side apply of only the objects whose dry-run differs from the cluster.
import pLimit from "p-limit";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, isNotFound, objectHeader, statusCode } from "../client";
import { entryOf } from "../inventory";
import type { ChangeSet, ChangeSetEntry } from "./changeset";
import { ApplyObjectError, diffAll, type DiffResult } from "./diff";
import { FIELD_MANAGER, type ResourceManager } from "./manager";
import { kindRank, objectKey, stages } from "./sort";

/** ApplyOptions tune applyAllStaged. */
export interface ApplyOptions {
  /** Recreate objects whose change touches an immutable field. Default false. */
  force?: boolean;
  /** How long to wait for CRDs to become Established. Default 60 s. */
  crdTimeoutMs?: number;
  /** A plan's comparisons made moments ago, by inventory id: those objects are not read and dry-run again. Default none. */
  planned?: Map<string, DiffResult>;
}

/** applyOne server-side applies one object with force ownership (field manager "fluxiac"). */
export async function applyOne(m: ResourceManager, obj: KubeObject): Promise<KubeObject> {
  try {
    return (await m.api.patch(obj, undefined, undefined, FIELD_MANAGER, true, "application/apply-patch+yaml")) as KubeObject;
  } catch (err) {
    throw new ApplyObjectError(objectKey(obj), "apply", statusCode(err), apiMessage(err));
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
      const live = (await m.api.read(objectHeader(crd)).catch(() => undefined)) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      if (live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new ApplyObjectError(objectKey(crd), "wait", undefined, `not Established after ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  }
  if (crds.length) m.api.forgetDiscovery();
}

/** applyChanged applies the objects a diff found created or configured, kind rank by kind rank. */
async function applyChanged(m: ResourceManager, diffs: DiffResult[]): Promise<void> {
  const limit = pLimit(m.concurrency);
  const byRank = new Map<number, DiffResult[]>();
  for (const d of diffs) {
    if (d.action !== "created" && d.action !== "configured") continue;
    const r = kindRank(d.object.kind);
    byRank.set(r, [...(byRank.get(r) ?? []), d]);
  }
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    await Promise.all(
      byRank.get(rank)!.map((d) =>
        limit(async () => {
          // The dry-run already refused immutable changes without force, or marked them for recreation.
          if (!d.recreate) return void (await applyOne(m, d.object));
          m.log.info(`${d.subject}: immutable field changed, recreating (force)`);
          await recreate(m, d.object);
        }),
      ),
    );
  }
}

/**
 * applyAllStaged applies objects in Flux's stages (CRDs/Namespaces/ClusterRoles, then *Class kinds,
 * then the rest), waiting for CRDs to be Established between stages. Within a stage it dry-runs every
 * object in parallel (but those a recent plan compared) and applies only those that differ. Returns the change set.
 */
export async function applyAllStaged(m: ResourceManager, objects: KubeObject[], opts: ApplyOptions = {}): Promise<ChangeSet> {
  const entries: ChangeSetEntry[] = [];
  for (const stage of stages(objects)) {
    const planned = (o: KubeObject) => opts.planned?.get(entryOf(o).id);
    const compared = new Map((await diffAll(m, stage.filter((o) => !planned(o)), { dryRunCreates: false, force: opts.force })).map((d) => [d.id, d]));
    const diffs = stage.map((o) => planned(o) ?? compared.get(entryOf(o).id)!);
    await applyChanged(m, diffs);
    await waitForCRDs(m, stage, opts.crdTimeoutMs);
    for (const d of diffs) entries.push({ subject: d.subject, id: d.id, action: d.action });
  }
  return { entries };
}
