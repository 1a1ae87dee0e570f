// Provider-side code of fluxiac's Pulumi dynamic providers. The serialized provider objects in
// providers.ts `require` this module by package name, so state written by one fluxiac version is
// handled by whatever fluxiac version is installed. It translates Pulumi inputs and outputs to engine
// specs and results, and nothing more.
import { isDeepStrictEqual } from "node:util";
import { FluxiacError, errorMessage } from "../core/errors";
import type { Logger } from "../core/log";
import { defaultContext, type ReconcileContext } from "../core/reconcile/context";
import { ensureGitArtifact, planGitRepository, validateGitRepository } from "../core/reconcile/git-repository";
import {
  applyKustomization,
  deleteKustomization,
  hasChanges,
  planKustomization,
  type KustomizationSpec,
} from "../core/reconcile/kustomization";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { Artifact, GitRepositorySpec } from "../core/source/git-types";
import type { Inventory } from "../core/kube/inventory";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** UNKNOWN is the value Pulumi's Node runtime uses for outputs that are not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** hasUnknowns reports whether any nested input is still unknown (preview before its producer exists). */
export function hasUnknowns(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknowns);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknowns);
  return false;
}

const providerLog: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: (m) => {
    if (process.env.FLUXIAC_DEBUG) process.stderr.write(`${m}\n`);
  },
};

function context(): ReconcileContext {
  return defaultContext({ log: providerLog });
}

/**
 * rethrow keeps FluxiacErrors as they are and names the object on anything else. Pulumi's provider host
 * prints `${err}: ${err.stack}`; the message already says what to do, so the stack is kept only with
 * FLUXIAC_DEBUG.
 */
function rethrow(kind: string, name: string, err: unknown): never {
  const e = err instanceof FluxiacError ? err : new FluxiacError({ kind, name }, "ApplyFailed", errorMessage(err));
  if (!process.env.FLUXIAC_DEBUG) e.stack = "";
  throw e;
}

// ---------------------------------------------------------------- GitRepository

function gitSpec(p: Props): GitRepositorySpec {
  return { url: p.url, ref: p.ref, auth: p.auth, timeout: p.timeout, ignore: p.ignore };
}

const GIT_FIELDS = ["url", "ref", "auth", "timeout", "ignore", "artifact"];

/** gitRepository implements the GitRepository dynamic provider. */
export const gitRepository = {
  async check(olds: Props, news: Props) {
    const failures = validateGitRepository(gitSpec(news)).map((f) => ({ property: f.property, reason: `GitRepository "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const previous = olds?.artifact ? { artifact: olds.artifact as Artifact, observedUrl: olds.url, observedIgnore: olds.ignore } : undefined;
      const { artifact } = await planGitRepository(news.name, gitSpec(news), previous, context());
      return { inputs: { ...news, artifact } };
    } catch (err) {
      rethrow("GitRepository", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    const changed = GIT_FIELDS.filter((k) => !isDeepStrictEqual(olds[k] ?? null, news[k] ?? null));
    return { changes: changed.length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    await ensureGitArtifact(inputs.name, gitSpec(inputs), inputs.artifact, context()).catch((err) => rethrow("GitRepository", inputs.name, err));
    return { id: `GitRepository/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    await ensureGitArtifact(news.name, gitSpec(news), news.artifact, context()).catch((err) => rethrow("GitRepository", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};

// ---------------------------------------------------------------- Kustomization

function kustomizationSpec(p: Props): KustomizationSpec {
  return {
    sourceRef: p.sourceRef as SourceReference,
    path: p.path,
    prune: p.prune,
    force: p.force,
    namespace: p.namespace,
    cluster: { kubeconfig: p.kubeconfig, context: p.context },
  };
}

const KS_FIELDS = ["path", "prune", "force", "namespace", "kubeconfig", "context"];

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
    const result = await applyKustomization(inputs.name, kustomizationSpec(inputs), undefined, context()).catch((err) => rethrow("Kustomization", inputs.name, err));
    return { id: `Kustomization/${inputs.name}`, outs: { ...inputs, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory } };
  },
  async update(_id: string, olds: Props, news: Props) {
    const previous = { inventory: olds.inventory as Inventory | undefined };
    const result = await applyKustomization(news.name, kustomizationSpec(news), previous, context()).catch((err) => rethrow("Kustomization", news.name, err));
    return { outs: { ...news, lastAppliedRevision: result.lastAppliedRevision, inventory: result.inventory } };
  },
  async delete(_id: string, props: Props) {
    await deleteKustomization(props.name, kustomizationSpec(props), props.inventory, context()).catch((err) => rethrow("Kustomization", props.name, err));
  },
};
