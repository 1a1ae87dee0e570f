// fluxiac_kustomization: Flux's Kustomization. The plan builds and dry-runs (so `terraform plan` lists the
// objects to create, update, prune and correct), the refresh reports drift made in the cluster, the apply
// applies in stages and prunes, and destroy follows deletion_policy. The exact inventory (with versions)
// and the digests of the built objects travel in the private state.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { FluxiacError, PartialFailureError } from "../../core/errors";
import type { Inventory } from "../../core/kube/inventory";
import type { KustomizationChanges, KustomizationPlan, KustomizationSpec, KustomizationStatus } from "../../core/reconcile/kustomization";
import type { KustomizationState } from "../../core/reconcile/kustomization-state";
import type { KustomizationDependency } from "../../core/reconcile/depends-on";
import type { KustomizationHealth } from "../../core/reconcile/kustomization-health";
import type { SourceReference } from "../../core/reconcile/source-reference";
import { hasUnknown, UNKNOWN, type CtyObject } from "../cty";
import { error, type Diagnostic } from "../diagnostics";
import { engineProps, nullObject } from "../schema";
import { clusterOf } from "./common";
import { attributes, specAttributes } from "./kustomization-schema";
import { ApplyFailure, type CallContext, type ResourceType, type Stored } from "./resource";

const kind = "Kustomization";

/** Private is what the private state holds: the inventory with versions and the built objects' digests. */
interface Private {
  inventory: Inventory;
  objects: Record<string, string>;
  /** In a plan's private state: what the prior state held, which the apply prunes against (ApplyResourceChange carries no prior private state). */
  previous?: { inventory: Inventory; objects: Record<string, string> };
}

/**
 * refreshed holds the plans the refresh made, for the plan that follows in the same process: Terraform
 * reads, then plans, each resource; with the same spec and prior state, the plan reuses the refresh's
 * build and dry-run instead of doing them again.
 */
const refreshed = new Map<string, { plan: KustomizationPlan; at: number }>();
const REFRESH_REUSE_MS = 60_000;

const refreshKey = (name: string, spec: KustomizationSpec, previous: KustomizationStatus | undefined) => createHash("sha256").update(JSON.stringify([name, spec, previous])).digest("hex");

/** planOnce plans, or takes the plan the refresh just made for exactly this spec and prior state. */
function planOnce(name: string, spec: KustomizationSpec, previous: KustomizationStatus | undefined, ctx: CallContext): Promise<KustomizationPlan> {
  const key = refreshKey(name, spec, previous);
  const cached = refreshed.get(key);
  refreshed.delete(key);
  if (cached && Date.now() - cached.at < REFRESH_REUSE_MS) {
    ctx.log.debug(`Kustomization "${name}": the plan reuses the refresh's build and dry-run`);
    return Promise.resolve(cached.plan);
  }
  return engine().planKustomization(name, spec, previous, ctx);
}

/** engine loads the Kustomization engine on first use, so the plugin starts without the Kubernetes client. */
const engine = (): typeof import("../../core/reconcile/kustomization") => require("../../core/reconcile/kustomization");

function readPrivate(b: Buffer | undefined): Private | undefined {
  if (!b?.length) return undefined;
  return JSON.parse(b.toString("utf8")) as Private;
}

const writePrivate = (p: Private): Buffer => Buffer.from(JSON.stringify(p));

/** subject turns an inventory id (`<ns>_<name>_<group>_<kind>`) into `Kind/namespace/name`. */
function subject(id: string): string {
  const [namespace, name, , k] = id.split("_");
  return namespace ? `${k}/${namespace}/${name}` : `${k}/${name}`;
}

const inventoryIds = (inv: Inventory | undefined) => (inv?.entries ?? []).map((e) => e.id).sort();

function summary(revision: string, c: KustomizationChanges): CtyObject {
  return { revision, create: c.create.map(subject), update: c.update.map(subject), prune: c.prune.map(subject), drifted: c.drifted.map(subject) };
}

/** parseSourceRef reads source_ref, the JSON a source resource puts in source_reference. */
function parseSourceRef(v: unknown): SourceReference {
  let ref: SourceReference | undefined;
  try {
    ref = JSON.parse(String(v));
  } catch {
    ref = undefined;
  }
  if (!ref || typeof ref !== "object" || !ref.kind || !ref.name || !ref.spec) {
    throw new Error("source_ref must be a source's source_reference, e.g. fluxiac_git_repository.apps.source_reference");
  }
  return ref;
}

/** specOf turns the configured attributes into the engine spec; the provider's cluster is the default. */
function specOf(o: CtyObject, ctx: CallContext): KustomizationSpec {
  const props = engineProps(specAttributes, o) as Record<string, unknown>;
  const { sourceRef, kubeconfig, context, dependencies, ...rest } = props;
  return {
    ...(rest as Omit<KustomizationSpec, "sourceRef" | "cluster">),
    ...(dependencies ? { dependsOn: (dependencies as string[]).map((d) => JSON.parse(d) as KustomizationDependency) } : {}),
    sourceRef: parseSourceRef(sourceRef),
    cluster: clusterOf(kubeconfig, context, ctx.cluster),
  };
}

/** previousOf is what the prior state recorded, as the engine's status. */
async function previousOf(name: string, prior: CtyObject | null, priv: Buffer | undefined, ctx: CallContext): Promise<KustomizationStatus | undefined> {
  if (!prior) return undefined;
  const p = readPrivate(priv) ?? { inventory: await ownedInventory(name, prior, ctx), objects: {} };
  return { inventory: p.inventory, objects: p.objects, lastAppliedRevision: (prior.last_applied_revision as string | null) ?? undefined };
}

/** ownedInventory reads the inventory back from the cluster's ownership labels (import, lost private state). */
async function ownedInventory(name: string, o: CtyObject, ctx: CallContext): Promise<Inventory> {
  const { connect }: typeof import("../../core/kube/client") = require("../../core/kube/client");
  const owned: typeof import("../../core/kube/owned") = require("../../core/kube/owned");
  const namespace = (o.namespace as string | null) ?? "flux-system";
  const cluster = connect({ kubeconfig: (o.kubeconfig as string | null) ?? ctx.cluster?.kubeconfig, context: (o.context as string | null) ?? ctx.cluster?.context });
  return owned.ownedInventory(cluster, { name, namespace });
}

const idOf = (o: CtyObject) => (typeof o.name === "string" && !hasUnknown(o.namespace) ? `${(o.namespace as string | null) ?? "flux-system"}/${o.name}` : UNKNOWN);
const configValues = (o: CtyObject) => Object.fromEntries(["name", ...Object.keys(specAttributes)].map((n) => [n, o[n]]));

/** ownValues are the configured values but dependencies: a dependency being updated does not hide this plan. */
const ownValues = (o: CtyObject) => ({ ...configValues(o), dependencies: null });

const healthValue = (h: KustomizationHealth | undefined): CtyObject | null => (h ? { status: h.status, message: h.message, checked: h.checked } : null);

/** withDependency adds the `dependency` attribute, unknown while what it is made of is. */
function withDependency(o: CtyObject): CtyObject {
  const parts = [o.name, o.source_ref, o.last_applied_revision, o.health, o.suspend];
  if (parts.some(hasUnknown)) return { ...o, dependency: UNKNOWN };
  const health = o.health as CtyObject | null;
  const dep: KustomizationDependency = {
    name: o.name as string,
    revision: parseSourceRef(o.source_ref).artifact?.revision,
    lastAppliedRevision: (o.last_applied_revision as string | null) ?? undefined,
    ...(health ? { health: health as unknown as KustomizationHealth } : {}),
    suspend: o.suspend === true,
  };
  return { ...o, dependency: JSON.stringify(dep) };
}

/** kustomization is the fluxiac_kustomization resource type. */
export const kustomization: ResourceType = {
  typeName: "fluxiac_kustomization",
  kind,
  description: "Flux's Kustomization: built, dry-run during terraform plan, applied in stages and pruned.",
  attributes,
  validate(config) {
    const problems: Diagnostic[] = [];
    const named = (m: string) => `${kind} "${config.name}": ${m}`;
    if (config.source_ref !== null && !hasUnknown(config.source_ref)) {
      try {
        parseSourceRef(config.source_ref);
      } catch (err) {
        problems.push(error(named((err as Error).message), "", "source_ref"));
      }
    }
    const deps = Array.isArray(config.dependencies) ? config.dependencies : [];
    deps.forEach((d, i) => {
      if (typeof d !== "string") return;
      let name: unknown;
      try {
        name = (JSON.parse(d) as { name?: unknown }).name;
      } catch {
        name = undefined;
      }
      if (typeof name !== "string" || !name) problems.push(error(named(`dependencies[${i}] must be a Kustomization's dependency attribute, e.g. fluxiac_kustomization.infra.dependency`), "", `dependencies[${i}]`));
    });
    const policy = config.deletion_policy;
    if (typeof policy === "string" && !["MirrorPrune", "Delete", "WaitForTermination", "Orphan"].includes(policy)) {
      problems.push(error(named(`deletion_policy "${policy}" is not valid: use MirrorPrune, Delete, WaitForTermination or Orphan`), "", "deletion_policy"));
    }
    return problems;
  },

  async plan({ prior, priorPrivate, proposed, config }, ctx) {
    const base = { ...proposed, id: idOf(config), drift: [] };
    // Planned as known after apply: the apply plans again once everything is known, and prunes against
    // what the prior state holds.
    const deferred = () => {
      const kept = readPrivate(priorPrivate);
      return {
        state: { ...base, plan: UNKNOWN, inventory: UNKNOWN, last_applied_revision: UNKNOWN, health: UNKNOWN, dependency: UNKNOWN },
        private: kept && writePrivate({ inventory: kept.inventory, objects: kept.objects, previous: { inventory: kept.inventory, objects: kept.objects } }),
      };
    };
    if (hasUnknown(ownValues(config)) || ctx.clusterUnknown) return deferred();
    const name = config.name as string;
    // Dependencies are checked by the apply; the plan does not need them (and they may not be known yet).
    const spec = specOf(hasUnknown(config.dependencies) ? { ...config, dependencies: null } : config, ctx);
    const previous = await previousOf(name, prior, priorPrivate, ctx);
    if (spec.suspend) {
      // A suspended Kustomization changes only when its own fields do.
      const state = { ...base, plan: prior?.plan ?? summary("", noChanges()), inventory: inventoryIds(previous?.inventory), last_applied_revision: previous?.lastAppliedRevision ?? "", health: prior?.health ?? null };
      return { state: withDependency(state), private: priorPrivate };
    }
    const { hasChanges } = engine();
    let plan: KustomizationPlan;
    try {
      plan = await planOnce(name, spec, previous, ctx);
    } catch (err) {
      // A dependency applied in this same run may create what the plan needs (its namespace, a CRD):
      // plan as known after apply, and let the apply, after the dependency, plan again and fail if still wrong.
      if (!hasUnknown(config.dependencies)) throw err;
      ctx.log.warn(`Kustomization "${name}": planned as known after apply, as its dependencies are applied first: ${(err as Error).message}`);
      return deferred();
    }
    const inventory = inventoryIds(plan.inventory);
    const inSync =
      prior !== null &&
      !hasChanges(plan.changes) &&
      prior.last_applied_revision === plan.revision &&
      isDeepStrictEqual(prior.inventory, inventory) &&
      isDeepStrictEqual(configValues(prior), configValues(proposed));
    if (inSync) return { state: withDependency(base), private: priorPrivate };
    return {
      // Health is known once the apply checked it.
      state: withDependency({ ...base, plan: summary(plan.revision, plan.changes), inventory, last_applied_revision: plan.revision, health: UNKNOWN }),
      private: writePrivate({ inventory: plan.inventory, objects: plan.objects, previous: previous && { inventory: previous.inventory ?? { entries: [] }, objects: previous.objects ?? {} } }),
    };
  },

  async apply({ prior, planned, plannedPrivate }, ctx) {
    const name = planned.name as string;
    const spec = specOf(planned, ctx);
    const { applyKustomization, planKustomization } = engine();
    const priv = readPrivate(plannedPrivate);
    const prev = prior ? (priv?.previous ?? { inventory: await ownedInventory(name, prior, ctx), objects: {} }) : undefined;
    const previous: KustomizationStatus | undefined = prior && prev ? { ...prev, lastAppliedRevision: (prior.last_applied_revision as string | null) ?? undefined } : undefined;
    let state: CtyObject = { ...planned, id: idOf(planned), drift: [] };
    let objects: Record<string, string> = priv?.objects ?? {};
    try {
      if (!priv || [planned.plan, planned.inventory, planned.last_applied_revision].some(hasUnknown)) {
        // Planned while values were unknown: plan now, as the apply walk's final plan would have.
        const plan = await planKustomization(name, spec, previous, ctx);
        objects = plan.objects;
        if (hasUnknown(planned.plan)) state = { ...state, plan: summary(plan.revision, plan.changes) };
      }
      const result = await applyKustomization(name, spec, previous, ctx);
      state = { ...state, inventory: inventoryIds(result.inventory), last_applied_revision: result.lastAppliedRevision, health: healthValue(result.health) };
      return { state: withDependency(state), private: writePrivate({ inventory: result.inventory, objects }) };
    } catch (err) {
      if (err instanceof PartialFailureError) {
        // The cluster changed: record what is in it, so the next apply converges and destroy finds it.
        const s = err.state as KustomizationState;
        const failed = {
          ...state,
          plan: hasUnknown(state.plan) ? summary("", noChanges()) : state.plan,
          inventory: inventoryIds(s.inventory),
          last_applied_revision: s.lastAppliedRevision ?? "",
          health: healthValue(s.health) ?? (hasUnknown(state.health) ? null : state.health),
        };
        throw new ApplyFailure({ state: withDependency(failed), private: writePrivate({ inventory: s.inventory, objects: {} }) }, err);
      }
      // Nothing changed in the cluster: the prior state stays as it was.
      if (prior && prev) throw new ApplyFailure({ state: prior, private: writePrivate(prev) }, err);
      throw err;
    }
  },

  async destroy(prior, priorPrivate, ctx) {
    const name = prior.name as string;
    const { deleteKustomization } = engine();
    const inventory = readPrivate(priorPrivate)?.inventory ?? (await ownedInventory(name, prior, ctx));
    const props = engineProps(specAttributes, prior) as Record<string, unknown>;
    const spec = { ...props, cluster: clusterOf(props.kubeconfig, props.context, ctx.cluster) };
    await deleteKustomization(name, spec as unknown as KustomizationSpec, inventory, ctx);
  },

  async read(state, priv, ctx): Promise<Stored> {
    // An imported Kustomization has no source yet: the next plan, with the configuration, fills it in.
    if (state.source_ref === null || state.suspend === true || ctx.clusterUnknown) return { state, private: priv };
    const name = state.name as string;
    const previous = await previousOf(name, state, priv, ctx);
    const spec = specOf(state, ctx);
    const plan = await engine().planKustomization(name, spec, previous, ctx);
    refreshed.set(refreshKey(name, spec, previous), { plan, at: Date.now() });
    const drift = plan.changes.drifted.map(subject);
    return { state: { ...state, drift }, private: priv ?? writePrivate({ inventory: previous!.inventory!, objects: {} }) };
  },

  async importState(id, ctx) {
    const [namespace, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
    if (!name) throw new FluxiacError({ kind, name: id }, "ValidationFailed", "import id must be <namespace>/<name> or <name>");
    const base = { ...nullObject(attributes), name, namespace: namespace ?? null };
    const inventory = await ownedInventory(name, base, ctx);
    const state = { ...base, id: idOf(base), inventory: inventoryIds(inventory), drift: [], plan: summary("", noChanges()), last_applied_revision: "", health: null, dependency: null };
    return { state, private: writePrivate({ inventory, objects: {} }) };
  },
};

function noChanges(): KustomizationChanges {
  return { create: [], update: [], prune: [], drifted: [], skipped: [], unchanged: 0 };
}
