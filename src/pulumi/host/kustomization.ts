// Kustomization's provider-side code: check builds and dry-runs (the plan preview shows); create and
// update apply in stages and prune; delete garbage-collects the inventory.
import { isDeepStrictEqual } from "node:util";
import { PartialFailureError } from "../../core/errors";
import type { Inventory } from "../../core/kube/inventory";
import {
  applyKustomization,
  deleteKustomization,
  hasChanges,
  planKustomization,
  type KustomizationSpec,
} from "../../core/reconcile/kustomization";
import type { KustomizationState } from "../../core/reconcile/kustomization-state";
import type { SourceReference } from "../../core/reconcile/source-reference";
import type { KustomizationBuildSpec } from "../../core/build/post-build";
import { changedFields, clusterOf, context, initFailed, ownUnknowns, rethrow, UNKNOWN, type Props } from "./common";

function kustomizationSpec(p: Props): KustomizationSpec {
  return {
    sourceRef: p.sourceRef as SourceReference,
    path: p.path,
    prune: p.prune,
    force: p.force,
    ignore: p.ignore,
    deletionPolicy: p.deletionPolicy,
    namespace: p.namespace,
    cluster: clusterOf(p),
    kubeConfig: p.kubeConfig,
    serviceAccountName: p.serviceAccountName,
    wait: p.wait,
    healthChecks: p.healthChecks,
    healthCheckExprs: p.healthCheckExprs,
    timeout: p.timeout,
    dependsOn: p.dependsOn,
    readyExpr: p.readyExpr,
    suspend: p.suspend,
    ...buildSpec(p),
  };
}

/** buildSpec maps the build fields; unset ones stay absent. */
function buildSpec(p: Props): KustomizationBuildSpec {
  const spec: Record<string, unknown> = {};
  for (const k of BUILD_FIELDS) if (p[k] !== undefined && p[k] !== null) spec[k] = p[k];
  return spec as KustomizationBuildSpec;
}

const BUILD_FIELDS = [
  "targetNamespace",
  "namePrefix",
  "nameSuffix",
  "commonMetadata",
  "patches",
  "images",
  "components",
  "ignoreMissingComponents",
  "postBuild",
  "decryption",
  "allowRemoteBases",
];

const KS_FIELDS = [
  "path", "prune", "force", "ignore", "deletionPolicy", "namespace", "kubeconfig", "context", "defaultServiceAccount",
  "kubeConfig", "serviceAccountName", "wait", "healthChecks", "healthCheckExprs", "timeout", "readyExpr", "suspend",
  ...BUILD_FIELDS,
];

/**
 * recordPartialFailure records a PartialFailureError as a failed resource with the inventory of what is
 * in the cluster (see initFailed). Other errors are rethrown as they are.
 */
function recordPartialFailure(id: string, inputs: Props, err: unknown): never {
  if (!(err instanceof PartialFailureError)) rethrow("Kustomization", inputs.name, err);
  const state = err.state as KustomizationState;
  // The inputs carry __provider, which the engine needs to call delete on the recorded outputs.
  const properties: Props = { ...inputs, inventory: state.inventory };
  if (state.lastAppliedRevision === undefined) delete properties.lastAppliedRevision;
  else properties.lastAppliedRevision = state.lastAppliedRevision;
  if (state.health !== undefined) properties.health = state.health;
  initFailed(id, properties, err.message);
}

/** kustomization implements the Kustomization dynamic provider. */
export const kustomization = {
  async check(olds: Props, news: Props) {
    const failures: { property: string; reason: string }[] = [];
    if (typeof news.prune !== "boolean" && news.prune !== UNKNOWN) failures.push({ property: "prune", reason: `Kustomization "${news.name}": prune is required (true or false)` });
    if (failures.length || ownUnknowns(news)) return { inputs: news, failures };
    try {
      // olds are the previous checked inputs: their plan holds the revision planned last time.
      const previous = { inventory: olds?.inventory, objects: olds?.objects, lastAppliedRevision: olds?.plan?.revision };
      const plan = await planKustomization(news.name, kustomizationSpec(news), previous, context());
      return { inputs: { ...news, plan: { revision: plan.revision, ...plan.changes }, inventory: plan.inventory, objects: plan.objects } };
    } catch (err) {
      rethrow("Kustomization", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    if (ownUnknowns(news) || !news.plan) return { changes: true };
    // A suspended Kustomization changes only when its own fields do.
    const changed =
      changedFields(olds, news, KS_FIELDS).length > 0 ||
      (!news.suspend && (hasChanges(news.plan) || olds.lastAppliedRevision !== news.plan.revision || !isDeepStrictEqual(olds.inventory, news.inventory)));
    return { changes: changed };
  },
  async create(inputs: Props) {
    const id = `Kustomization/${inputs.name}`;
    const result = await applyKustomization(inputs.name, kustomizationSpec(inputs), undefined, context()).catch((err) => recordPartialFailure(id, inputs, err));
    return { id, outs: { ...inputs, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory, health: result.health } };
  },
  async update(id: string, olds: Props, news: Props) {
    const previous = { inventory: olds.inventory as Inventory | undefined, objects: olds.objects, lastAppliedRevision: olds.lastAppliedRevision as string | undefined, health: olds.health };
    const result = await applyKustomization(news.name, kustomizationSpec(news), previous, context()).catch((err) => recordPartialFailure(id, news, err));
    return { outs: { ...news, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory, health: result.health } };
  },
  async delete(_id: string, props: Props) {
    await deleteKustomization(props.name, kustomizationSpec(props), props.inventory, context()).catch((err) => rethrow("Kustomization", props.name, err));
  },
};
