// Kustomization engine verbs: plan (build + parallel server-side dry-run), apply (staged SSA + prune), delete.
import { createHash, createHmac } from "node:crypto";
import { buildKustomization, type KubeObject } from "../build/kustomize";
import { loadDecryptionKeys, postBuildObjects, type KustomizationBuildSpec } from "../build/post-build";
import { canonicalJson } from "../canonical-json";
import { parseDuration } from "../duration";
import { FluxiacError, PartialFailureError, errorMessage, type ObjectRef } from "../errors";
import { connect, type ClusterConnection } from "../kube/client";
import { resolveCluster, type ClusterAccess } from "../kube/remote";
import { entryOf, inventoryOf, staleEntries, type Inventory } from "../kube/inventory";
import { applyAllStaged, PartialApplyError } from "../kube/ssa/apply";
import { summarize, type ChangeSet } from "../kube/ssa/changeset";
import { deleteAll, waitForTermination } from "../kube/ssa/delete";
import { conflictWarning } from "../kube/ssa/conflict";
import { ApplyObjectError, diffAll, readLive, type DiffResult } from "../kube/ssa/diff";
import { validateIgnoreRules, type IgnoreRule } from "../kube/ssa/ignore";
import { definedKinds, normalize, UnknownKindError, type ResourceManager } from "../kube/ssa/manager";
import type { ReconcileContext } from "./context";
import { checkDependencies, validateReadyExpr, type DependsOnSpec } from "./depends-on";
import { checkHealth, healthTargets, validateHealthCheck, type HealthCheckSpec, type KustomizationHealth } from "./kustomization-health";
import { interruptedApply, sortedInventory } from "./kustomization-state";
import { PlanCache } from "./plan-cache";
import { suspendedPlan, suspendedResult } from "./suspend";
import { ensureSourceArtifact, type SourceReference } from "./source-reference";

/**
 * KustomizationSpec is a Kustomization's desired state (Flux's kustomize.toolkit.fluxcd.io/v1 fields):
 * the build fields (overlay options, commonMetadata, postBuild, decryption) come from
 * KustomizationBuildSpec; health (wait, healthChecks, healthCheckExprs, timeout), dependsOn/readyExpr,
 * kubeConfig and serviceAccountName from the other embedded specs.
 */
export interface KustomizationSpec extends KustomizationBuildSpec, HealthCheckSpec, DependsOnSpec, ClusterAccess {
  sourceRef: SourceReference;
  /** Path inside the artifact, default the root. */
  path?: string;
  /** Delete objects that left the build, and on destroy. Required, as in Flux. */
  prune: boolean;
  /** Recreate objects whose immutable fields changed. */
  force?: boolean;
  /** Paths (JSON pointers) left out of drift detection and adopted from the cluster, per target (Flux v1.9). */
  ignore?: IgnoreRule[];
  /** What destroy deletes: MirrorPrune (the inventory when prune is true), Delete, WaitForTermination, Orphan. Default MirrorPrune. */
  deletionPolicy?: DeletionPolicy;
  /** Namespace written into the ownership labels (Flux's Kustomization namespace). Default "flux-system". */
  namespace?: string;
  /** The management cluster: where the Kustomization applies, unless kubeConfig names another. */
  cluster?: ClusterConnection;
  /** Plan and apply nothing; the previous inventory is kept. Default false. */
  suspend?: boolean;
}

/** DeletionPolicy is Flux's spec.deletionPolicy. */
export type DeletionPolicy = "MirrorPrune" | "Delete" | "WaitForTermination" | "Orphan";

/** KustomizationChanges is the preview summary of what an apply would do, by inventory id. */
export interface KustomizationChanges {
  create: string[];
  update: string[];
  prune: string[];
  drifted: string[];
  /** Objects left alone: reconcile disabled, ssa Ignore, or ssa IfNotPresent when they exist. */
  skipped: string[];
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
  health: KustomizationHealth;
}

/** KustomizationStatus is what a previous reconcile left in state. */
export interface KustomizationStatus {
  inventory?: Inventory;
  objects?: Record<string, string>;
  lastAppliedRevision?: string;
  health?: KustomizationHealth;
}

/** plans lets an apply take over the plan that Pulumi's check made moments before in this process. */
const plans = new PlanCache();

/**
 * objectDigest is a short digest of a built object, kept in state to tell an upstream change from drift.
 * It is keyed (HMAC) when the build used secret material, so it reveals nothing about those values, and
 * taken over canonical JSON, so it does not depend on the order in which the build wrote the fields.
 */
function objectDigest(o: KubeObject, key?: string): string {
  const h = key ? createHmac("sha256", key) : createHash("sha256");
  return h.update(canonicalJson(o)).digest("hex").slice(0, 12);
}

async function manager(name: string, spec: KustomizationSpec, ctx: ReconcileContext): Promise<ResourceManager> {
  const object = { kind: "Kustomization", name };
  const problems = [...validateHealthCheck(spec), ...validateReadyExpr(spec.readyExpr)];
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.join("; "));
  let cluster;
  try {
    cluster = connect(await resolveCluster(spec.cluster, spec.namespace ?? "flux-system", spec));
  } catch (err) {
    throw new FluxiacError(object, "ValidationFailed", errorMessage(err));
  }
  return { api: cluster.api, owner: { name, namespace: spec.namespace ?? "flux-system" }, log: ctx.log, concurrency: 8, signal: ctx.signal };
}

/** clusterError turns a failure while talking to the API server into an error naming the object and the fix. */
function clusterError(object: ObjectRef, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  const msg = errorMessage(err);
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|fetch failed|ECONNRESET|other side closed|aborted due to timeout|TimeoutError/i.test(msg + String((err as { cause?: unknown })?.cause ?? ""))) {
    const subject = err instanceof ApplyObjectError ? `${err.subject} ${err.verb} failed: ` : "";
    const cause = (err instanceof ApplyObjectError ? msg.slice(`${err.subject} ${err.verb} failed: `.length) : msg).split("\n")[0];
    return new FluxiacError(object, "ClusterUnavailable", `${subject}the cluster is unreachable (${cause}); check kubeconfig and that the API server is running. Nothing was pruned`);
  }
  if (err instanceof ApplyObjectError && err.status === 403) {
    return new FluxiacError(object, "ApplyFailed", `${err.message}; grant that permission to the identity the apply runs as (serviceAccountName, else the defaultServiceAccount, else the kubeconfig user). Nothing was pruned`);
  }
  if (err instanceof UnknownKindError || err instanceof ApplyObjectError) return new FluxiacError(object, "ApplyFailed", err.message);
  return new FluxiacError(object, "ApplyFailed", msg.split("\n")[0]);
}

const DELETION_POLICIES: DeletionPolicy[] = ["MirrorPrune", "Delete", "WaitForTermination", "Orphan"];

/** validateApplySpec checks ignore, deletionPolicy and timeout before anything is fetched. */
function validateApplySpec(object: ObjectRef, spec: Pick<KustomizationSpec, "ignore" | "deletionPolicy" | "timeout">): void {
  try {
    validateIgnoreRules(spec.ignore);
    if (spec.deletionPolicy !== undefined && !DELETION_POLICIES.includes(spec.deletionPolicy)) {
      throw new Error(`deletionPolicy "${spec.deletionPolicy}" is not valid: use ${DELETION_POLICIES.join(", ")}`);
    }
    if (spec.timeout !== undefined) parseDuration(spec.timeout, "timeout");
  } catch (err) {
    throw new FluxiacError(object, "ValidationFailed", errorMessage(err));
  }
}

async function buildObjects(name: string, spec: KustomizationSpec, m: ResourceManager, ctx: ReconcileContext): Promise<{ objects: KubeObject[]; revision: string; digestKey?: string }> {
  const object = { kind: "Kustomization", name };
  const ref = spec.sourceRef;
  if (ref.kind !== "GitRepository" && ref.kind !== "OCIRepository" && ref.kind !== "Bucket") {
    throw new FluxiacError(object, "ValidationFailed", `sourceRef.kind "${ref.kind}" is not supported: a Kustomization takes a GitRepository, OCIRepository or Bucket`);
  }
  validateApplySpec(object, spec);
  const artifactPath = await ensureSourceArtifact(ref, ctx);
  const revision = ref.artifact.revision;
  try {
    const keys = await loadDecryptionKeys(spec, m.api, m.owner.namespace, object);
    try {
      const built = await buildKustomization(artifactPath, revision, spec.path, object, { ...spec, decryptionKeys: keys });
      const { objects, digestKey } = await postBuildObjects(built.objects, spec, keys, m.api, m.owner.namespace, object);
      return { objects: await normalize(m, objects), revision, digestKey };
    } finally {
      await keys?.close();
    }
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
  if (spec.suspend) return suspendedPlan(previous);
  const m = await manager(name, spec, ctx);
  const { objects, revision, digestKey } = await buildObjects(name, spec, m, ctx);
  const plan = await planObjects(name, m, spec, objects, revision, previous, digestKey);
  // The apply needs each verdict and the live object (takeover, recreate), not the dry-run copy.
  plans.put(PlanCache.key(name, spec), { objects, revision, diffs: new Map(plan.diffs.map((d) => [d.id, { ...d, dryRun: undefined }])) });
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
  const m = await manager(name, spec as KustomizationSpec, ctx);
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
  spec: Pick<KustomizationSpec, "force" | "prune" | "ignore">,
  objects: KubeObject[],
  revision: string,
  previous: KustomizationStatus | undefined,
  digestKey?: string,
): Promise<KustomizationPlan> {
  try {
    const deferred = await deferredObjects(m, objects);
    const diffs = await diffAll(m, objects, { dryRunCreates: true, force: spec.force, ignore: spec.ignore, canRead: (o) => !deferred.has(o) });
    const inventory = inventoryOf(objects);
    const digests: Record<string, string> = {};
    for (const o of objects) digests[entryOf(o).id] = objectDigest(o, digestKey);
    const prevIds = new Set(previous?.inventory?.entries.map((e) => e.id) ?? []);
    const changes: KustomizationChanges = { create: [], update: [], prune: [], drifted: [], skipped: [], unchanged: 0 };
    for (const d of diffs) for (const c of d.conflicts ?? []) m.log.warn(conflictWarning(d.subject, c, true));
    for (const d of diffs) {
      const sameManifest = previous?.objects?.[d.id] === digests[d.id];
      if (d.action === "created") (prevIds.has(d.id) && sameManifest ? changes.drifted : changes.create).push(d.id);
      else if (d.action === "configured") (sameManifest ? changes.drifted : changes.update).push(d.id);
      else if (d.action === "skipped") changes.skipped.push(d.id);
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
 ** inventory. Right after planKustomization of the same spec (within a minute, as Pulumi's check then
 * update), it takes over that plan's build and comparisons instead of doing them again. It never prunes
 * when the fetch, build or apply failed. A failure after the cluster changed is a PartialFailureError
 * whose state lists what is in the cluster: an apply interrupted after some objects were written (the
 * previous inventory plus those), or a prune that could not delete some objects (they stay in the
 * inventory).
 */
export async function applyKustomization(name: string, spec: KustomizationSpec, previous: KustomizationStatus | undefined, ctx: ReconcileContext): Promise<KustomizationResult> {
  const object = { kind: "Kustomization", name };
  if (spec.suspend) return suspendedResult(name, previous, ctx);
  checkDependencies(object, spec);
  const m = await manager(name, spec, ctx);
  const planned = plans.take(PlanCache.key(name, spec));
  const { objects, revision } = planned ?? (await buildObjects(name, spec, m, ctx));
  const inventory = inventoryOf(objects);
  let changeSet: ChangeSet;
  try {
    changeSet = await applyAllStaged(m, objects, { force: spec.force, ignore: spec.ignore, planned: planned?.diffs });
  } catch (err) {
    if (!(err instanceof PartialApplyError)) throw clusterError(object, err);
    throw interruptedApply(clusterError(object, err.cause), err.applied, previous, inventory);
  }
  if (spec.prune) {
    const stale = staleEntries(previous?.inventory, inventory);
    if (stale.length) {
      const pruned = await deleteAll(m, stale);
      changeSet.entries.push(...pruned.entries);
      if (pruned.failed.length) {
        const state = { inventory: sortedInventory([...inventory.entries, ...pruned.failed.map((f) => f.entry)]), lastAppliedRevision: previous?.lastAppliedRevision };
        const message = `prune failed: ${pruned.failed.map((f) => f.error).join("; ")}; these objects stay in the inventory and the next apply prunes them again`;
        throw new PartialFailureError(object, "PruneFailed", message, state);
      }
    }
  }
  ctx.log.info(`Kustomization "${name}": applied revision ${revision}: ${summarize(changeSet)}`);
  const health = await checkHealth(object, spec, m, healthTargets(spec, objects, changeSet), {
    inventory,
    lastAppliedRevision: previous?.lastAppliedRevision ?? "",
    lastAttemptedRevision: revision,
  });
  return { lastAppliedRevision: revision, inventory, changeSet, health };
}

/**
 * deleteKustomization applies spec.deletionPolicy on destroy: MirrorPrune (default) deletes the
 * inventory when prune is true, Delete always deletes it, WaitForTermination deletes it and waits
 * (bounded by spec.timeout) until every object is gone, Orphan deletes nothing.
 */
export async function deleteKustomization(
  name: string,
  spec: Pick<KustomizationSpec, "prune" | "namespace" | "cluster" | "kubeConfig" | "serviceAccountName" | "deletionPolicy" | "timeout">,
  inventory: Inventory | undefined,
  ctx: ReconcileContext,
): Promise<ChangeSet> {
  const object = { kind: "Kustomization", name };
  validateApplySpec(object, spec);
  const policy = spec.deletionPolicy ?? "MirrorPrune";
  if (policy === "Orphan" || (policy === "MirrorPrune" && !spec.prune) || !inventory?.entries.length) {
    if (inventory?.entries.length) ctx.log.info(`Kustomization "${name}": deletionPolicy ${policy}${policy === "MirrorPrune" ? " with prune false" : ""}: the inventory's objects are left in the cluster`);
    return { entries: [] };
  }
  const timeoutMs = parseDuration(spec.timeout ?? "5m", "timeout");
  const m = await manager(name, spec as KustomizationSpec, ctx);
  let result;
  try {
    result = await deleteAll(m, inventory.entries);
  } catch (err) {
    throw clusterError(object, err);
  }
  if (result.failed.length) {
    throw new FluxiacError(object, "DeleteFailed", `${result.failed.map((f) => f.error).join("; ")}; fix the cause and destroy again`);
  }
  if (policy === "WaitForTermination") {
    const deleted = new Set(result.entries.filter((e) => e.action === "deleted").map((e) => e.id));
    await waitForTermination(m, inventory.entries.filter((e) => deleted.has(e.id)), timeoutMs).catch((err) => {
      throw new FluxiacError(object, "DeleteFailed", `deletionPolicy WaitForTermination: ${errorMessage(err)}; remove what blocks the deletion (finalizers) or raise timeout`);
    });
  }
  ctx.log.info(`Kustomization "${name}": garbage-collected the inventory (${policy}): ${summarize({ entries: result.entries })}`);
  return { entries: result.entries };
}
