// Kustomization engine verbs: plan (build + parallel server-side dry-run), apply (staged SSA + prune), delete.
import { createHash } from "node:crypto";
import { buildKustomization, type KubeObject } from "../build/kustomize";
import { FluxiacError, errorMessage, type ObjectRef } from "../errors";
import { connect, type ClusterConnection } from "../kube/client";
import { entryOf, inventoryOf, staleEntries, type Inventory } from "../kube/inventory";
import { applyAllStaged } from "../kube/ssa/apply";
import { summarize, type ChangeSet } from "../kube/ssa/changeset";
import { deleteAll } from "../kube/ssa/delete";
import { ApplyObjectError, diffAll, readLive, type DiffResult } from "../kube/ssa/diff";
import { definedKinds, normalize, UnknownKindError, type ResourceManager } from "../kube/ssa/manager";
import type { ReconcileContext } from "./context";
import { PlanCache } from "./plan-cache";
import { ensureSourceArtifact, type SourceReference } from "./source-reference";

/** KustomizationSpec is a Kustomization's desired state (Flux's kustomize.toolkit.fluxcd.io/v1 fields). */
export interface KustomizationSpec {
  sourceRef: SourceReference;
  /** Path inside the artifact, default the root. */
  path?: string;
  /** Delete objects that left the build, and on destroy. Required, as in Flux. */
  prune: boolean;
  /** Recreate objects whose immutable fields changed. */
  force?: boolean;
  /** Namespace written into the ownership labels (Flux's Kustomization namespace). Default "flux-system". */
  namespace?: string;
  cluster?: ClusterConnection;
}

/** KustomizationChanges is the preview summary of what an apply would do, by inventory id. */
export interface KustomizationChanges {
  create: string[];
  update: string[];
  prune: string[];
  drifted: string[];
  unchanged: number;
}

/** KustomizationPlan is the result of plan: everything preview shows. */
export interface KustomizationPlan {
  revision: string;
  inventory: Inventory;
  /** Short digest of each built object, to tell an upstream change from drift made in the cluster. */
  objects: Record<string, string>;
  changes: KustomizationChanges;
  /** Each object's comparison with the cluster (live object and dry-run result), for readable diffs. */
  diffs: DiffResult[];
}

/** KustomizationResult is the result of apply. */
export interface KustomizationResult {
  lastAppliedRevision: string;
  inventory: Inventory;
  changeSet: ChangeSet;
}

/** KustomizationStatus is what a previous reconcile left in state. */
export interface KustomizationStatus {
  inventory?: Inventory;
  objects?: Record<string, string>;
}

/** plans lets an apply take over the plan that Pulumi's check made moments before in this process. */
const plans = new PlanCache();

function objectDigest(o: KubeObject): string {
  return createHash("sha256").update(JSON.stringify(o)).digest("hex").slice(0, 12);
}

function manager(name: string, spec: KustomizationSpec, ctx: ReconcileContext): ResourceManager {
  let cluster;
  try {
    cluster = connect(spec.cluster);
  } catch (err) {
    throw new FluxiacError({ kind: "Kustomization", name }, "ValidationFailed", errorMessage(err));
  }
  return { api: cluster.api, owner: { name, namespace: spec.namespace ?? "flux-system" }, log: ctx.log, concurrency: 8, signal: ctx.signal };
}

/** clusterError turns a failure while talking to the API server into an error naming the object and the fix. */
function clusterError(object: ObjectRef, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  if (err instanceof UnknownKindError) return new FluxiacError(object, "ApplyFailed", err.message);
  if (err instanceof ApplyObjectError) return new FluxiacError(object, "ApplyFailed", err.message);
  const msg = errorMessage(err);
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|fetch failed|ECONNRESET/i.test(msg + String((err as { cause?: unknown })?.cause ?? ""))) {
    return new FluxiacError(object, "ClusterUnavailable", `the cluster is unreachable (${msg.split("\n")[0]}); check kubeconfig and that the API server is running. Nothing was pruned`);
  }
  return new FluxiacError(object, "ApplyFailed", msg.split("\n")[0]);
}

async function buildObjects(name: string, spec: KustomizationSpec, m: ResourceManager, ctx: ReconcileContext): Promise<{ objects: KubeObject[]; revision: string }> {
  const object = { kind: "Kustomization", name };
  const ref = spec.sourceRef;
  if (ref.kind !== "GitRepository" && ref.kind !== "OCIRepository" && ref.kind !== "Bucket") {
    throw new FluxiacError(object, "ValidationFailed", `sourceRef.kind "${ref.kind}" is not supported: a Kustomization takes a GitRepository, OCIRepository or Bucket`);
  }
  const artifactPath = await ensureSourceArtifact(ref, ctx);
  const revision = ref.artifact.revision;
  const built = await buildKustomization(artifactPath, revision, spec.path, object);
  try {
    return { objects: await normalize(m, built.objects), revision };
  } catch (err) {
    throw clusterError(object, err);
  }
}

/**
 * planKustomization builds the manifests and dry-runs them against the cluster, in parallel. Objects
 * that differ from the cluster are "update" when their built manifest changed since the last apply,
 * and "drifted" when only the cluster changed. Nothing is written.
 */
export async function planKustomization(name: string, spec: KustomizationSpec, previous: KustomizationStatus | undefined, ctx: ReconcileContext): Promise<KustomizationPlan> {
  const m = manager(name, spec, ctx);
  const { objects, revision } = await buildObjects(name, spec, m, ctx);
  const plan = await planObjects(name, m, spec, objects, revision, previous);
  // The apply needs each verdict, not the live and dry-run copies: keep the cache small.
  plans.put(PlanCache.key(name, spec), { objects, revision, diffs: new Map(plan.diffs.map((d) => [d.id, { ...d, live: undefined, dryRun: undefined }])) });
  return plan;
}

/**
 * planBuiltKustomization plans objects built elsewhere (`fluxiac diff kustomization` builds a local
 * directory): it adds the ownership labels and namespaces, then plans them as planKustomization does.
 */
export async function planBuiltKustomization(
  name: string,
  spec: Omit<KustomizationSpec, "sourceRef">,
  built: KubeObject[],
  revision: string,
  previous: KustomizationStatus | undefined,
  ctx: ReconcileContext,
): Promise<KustomizationPlan> {
  const m = manager(name, spec as KustomizationSpec, ctx);
  let objects: KubeObject[];
  try {
    objects = await normalize(m, built);
  } catch (err) {
    throw clusterError({ kind: "Kustomization", name }, err);
  }
  return planObjects(name, m, spec, objects, revision, previous);
}

async function planObjects(
  name: string,
  m: ResourceManager,
  spec: Pick<KustomizationSpec, "force" | "prune">,
  objects: KubeObject[],
  revision: string,
  previous: KustomizationStatus | undefined,
): Promise<KustomizationPlan> {
  try {
    const deferred = await deferredObjects(m, objects);
    const diffs = await diffAll(m, objects, { dryRunCreates: true, force: spec.force, canRead: (o) => !deferred.has(o) });
    const inventory = inventoryOf(objects);
    const digests: Record<string, string> = {};
    for (const o of objects) digests[entryOf(o).id] = objectDigest(o);
    const prevIds = new Set(previous?.inventory?.entries.map((e) => e.id) ?? []);
    const changes: KustomizationChanges = { create: [], update: [], prune: [], drifted: [], unchanged: 0 };
    for (const d of diffs) {
      const sameManifest = previous?.objects?.[d.id] === digests[d.id];
      if (d.action === "created") (prevIds.has(d.id) && sameManifest ? changes.drifted : changes.create).push(d.id);
      else if (d.action === "configured") (sameManifest ? changes.drifted : changes.update).push(d.id);
      else changes.unchanged++;
    }
    if (spec.prune) changes.prune = staleEntries(previous?.inventory, inventory).map((e) => e.id);
    return { revision, inventory, objects: digests, changes, diffs };
  } catch (err) {
    throw clusterError({ kind: "Kustomization", name }, err);
  }
}

/**
 * deferredObjects are objects that cannot be dry-run yet because the apply creates what they need:
 * custom resources whose CRD is in the build but not served, and objects in namespaces the build
 * creates. They are planned as creates, as the staged apply will do.
 */
async function deferredObjects(m: ResourceManager, objects: KubeObject[]): Promise<Set<KubeObject>> {
  const unservedKinds = new Set<string>();
  const newNamespaces = new Set<string>();
  for (const o of objects) {
    for (const k of definedKinds(o)) {
      if (!(await m.api.apiResource(k.apiVersion, k.kind))) unservedKinds.add(k.key);
    }
    if (o.kind === "Namespace" && o.apiVersion === "v1" && !(await readLive(m, o))) {
      newNamespaces.add(o.metadata.name!);
    }
  }
  return new Set(objects.filter((o) => unservedKinds.has(`${o.apiVersion}/${o.kind}`) || (o.metadata.namespace && newNamespaces.has(o.metadata.namespace))));
}

/** hasChanges reports whether a plan would change the cluster. */
export function hasChanges(c: KustomizationChanges): boolean {
  return c.create.length + c.update.length + c.prune.length + c.drifted.length > 0;
}

/**
 * applyKustomization builds, applies in stages (only what differs), then prunes what left the
 * inventory. Right after planKustomization of the same spec (within a minute, as Pulumi's check then
 * update), it takes over that plan's build and comparisons instead of doing them again. It never
 * prunes when the fetch, build or apply failed. Objects that fail to delete stay in the inventory.
 */
export async function applyKustomization(name: string, spec: KustomizationSpec, previous: KustomizationStatus | undefined, ctx: ReconcileContext): Promise<KustomizationResult> {
  const object = { kind: "Kustomization", name };
  const m = manager(name, spec, ctx);
  const planned = plans.take(PlanCache.key(name, spec));
  const { objects, revision } = planned ?? (await buildObjects(name, spec, m, ctx));
  let changeSet: ChangeSet;
  try {
    changeSet = await applyAllStaged(m, objects, { force: spec.force, planned: planned?.diffs });
  } catch (err) {
    throw clusterError(object, err);
  }
  const inventory = inventoryOf(objects);
  if (spec.prune) {
    const stale = staleEntries(previous?.inventory, inventory);
    if (stale.length) {
      const pruned = await deleteAll(m, stale);
      changeSet.entries.push(...pruned.entries);
      if (pruned.failed.length) {
        inventory.entries.push(...pruned.failed.map((f) => f.entry));
        inventory.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const f of pruned.failed) ctx.log.warn(`Kustomization "${name}": ${f.error}; kept in the inventory`);
      }
    }
  }
  ctx.log.info(`Kustomization "${name}": applied revision ${revision}: ${summarize(changeSet)}`);
  return { lastAppliedRevision: revision, inventory, changeSet };
}

/** deleteKustomization garbage-collects the inventory when prune is on (deletionPolicy MirrorPrune). */
export async function deleteKustomization(name: string, spec: Pick<KustomizationSpec, "prune" | "namespace" | "cluster">, inventory: Inventory | undefined, ctx: ReconcileContext): Promise<ChangeSet> {
  const object = { kind: "Kustomization", name };
  if (!spec.prune || !inventory?.entries.length) return { entries: [] };
  const m = manager(name, spec as KustomizationSpec, ctx);
  let result;
  try {
    result = await deleteAll(m, inventory.entries);
  } catch (err) {
    throw clusterError(object, err);
  }
  if (result.failed.length) {
    throw new FluxiacError(object, "DeleteFailed", `${result.failed.map((f) => f.error).join("; ")}; fix the cause and destroy again`);
  }
  ctx.log.info(`Kustomization "${name}": garbage-collected the inventory: ${summarize({ entries: result.entries })}`);
  return { entries: result.entries };
}
