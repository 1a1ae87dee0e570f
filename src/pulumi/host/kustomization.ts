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
import { context, hasUnknowns, rethrow, UNKNOWN, type Props } from "./common";

function kustomizationSpec(p: Props): KustomizationSpec {
  return {
    sourceRef: p.sourceRef as SourceReference,
    path: p.path,
    prune: p.prune,
    force: p.force,
    ignore: p.ignore,
    deletionPolicy: p.deletionPolicy,
    timeout: p.timeout,
    namespace: p.namespace,
    cluster: { kubeconfig: p.kubeconfig, context: p.context },
  };
}

const KS_FIELDS = ["path", "prune", "force", "ignore", "deletionPolicy", "timeout", "namespace", "kubeconfig", "context"];

/**
 * recordPartialFailure turns a PartialFailureError into the error shape Pulumi's Node dynamic-provider
 * host sends as ErrorResourceInitFailed (an error with `id`, `properties` and `reasons`): the engine
 * records the resource with these outputs (the inventory of what is in the cluster) and marks the
 * update failed, so the next up converges and destroy cleans up. Other errors are rethrown as they are.
 */
function recordPartialFailure(id: string, inputs: Props, err: unknown): never {
  if (!(err instanceof PartialFailureError)) rethrow("Kustomization", inputs.name, err);
  const state = err.state as KustomizationState;
  // The inputs carry __provider, which the engine needs to call delete on the recorded outputs.
  const properties: Props = { ...inputs, inventory: state.inventory };
  if (state.lastAppliedRevision === undefined) delete properties.lastAppliedRevision;
  else properties.lastAppliedRevision = state.lastAppliedRevision;
  const failure = Object.assign(new Error(err.message), { id, properties, reasons: [err.message] });
  if (!process.env.FLUXIAC_DEBUG) failure.stack = "";
  throw failure;
}

/** kustomization implements the Kustomization dynamic provider. */
export const kustomization = {
  async check(olds: Props, news: Props) {
    const failures: { property: string; reason: string }[] = [];
    if (typeof news.prune !== "boolean" && news.prune !== UNKNOWN) failures.push({ property: "prune", reason: `Kustomization "${news.name}": prune is required (true or false)` });
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const plan = await planKustomization(news.name, kustomizationSpec(news), { inventory: olds?.inventory, objects: olds?.objects }, context());
      return { inputs: { ...news, plan: { revision: plan.revision, ...plan.changes }, inventory: plan.inventory, objects: plan.objects } };
    } catch (err) {
      rethrow("Kustomization", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    if (hasUnknowns(news) || !news.plan) return { changes: true };
    const changed =
      hasChanges(news.plan) ||
      olds.lastAppliedRevision !== news.plan.revision ||
      KS_FIELDS.some((k) => !isDeepStrictEqual(olds[k] ?? null, news[k] ?? null)) ||
      !isDeepStrictEqual(olds.inventory, news.inventory);
    return { changes: changed };
  },
  async create(inputs: Props) {
    const id = `Kustomization/${inputs.name}`;
    const result = await applyKustomization(inputs.name, kustomizationSpec(inputs), undefined, context()).catch((err) => recordPartialFailure(id, inputs, err));
    return { id, outs: { ...inputs, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory } };
  },
  async update(id: string, olds: Props, news: Props) {
    const previous = { inventory: olds.inventory as Inventory | undefined, lastAppliedRevision: olds.lastAppliedRevision as string | undefined };
    const result = await applyKustomization(news.name, kustomizationSpec(news), previous, context()).catch((err) => recordPartialFailure(id, news, err));
    return { outs: { ...news, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory } };
  },
  async delete(_id: string, props: Props) {
    await deleteKustomization(props.name, kustomizationSpec(props), props.inventory, context()).catch((err) => rethrow("Kustomization", props.name, err));
  },
};
