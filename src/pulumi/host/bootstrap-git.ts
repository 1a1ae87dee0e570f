// BootstrapGit's provider-side code: check plans (reads the branch and the cluster; what preview shows) and
// keeps the generated deploy key stable; create and update apply; delete removes the sync objects.
import type { BootstrapGitSpec, BootstrapGitStatus } from "../../core/bootstrap/types";
import { dataDigest, secretData } from "../../core/bootstrap/secret";
import { normalizePath } from "../../core/bootstrap/sync-manifests";
import { applyBootstrapGit, deleteBootstrapGit, deployKeyFor, hasBootstrapChanges, planBootstrapGit } from "../../core/reconcile/bootstrap-git";
import { scanKnownHosts } from "../../core/bootstrap/deploy-key";
import { isSshUrl } from "../../core/source/git-auth";
import { changedFields, clusterOf, context, hasUnknowns, rethrow, type Props } from "./common";

const FIELDS = [
  "url", "branch", "auth", "tls", "author", "signing", "path", "namespace", "interval", "timeout", "kubeconfig", "context",
  "generateDeployKey", "scanKnownHosts", "components", "mode", "wait", "waitTimeout", "deleteGitManifests", "keepNamespace", "deployKey",
  "secretName", "kustomizationOverride", "commitMessageAppendix",
];

/** bootstrapSpec maps the resource's inputs to the engine spec. */
function bootstrapSpec(p: Props): BootstrapGitSpec {
  return {
    url: p.url,
    branch: p.branch ?? undefined,
    auth: p.knownHosts && !p.auth?.knownHosts ? { ...p.auth, knownHosts: p.knownHosts } : (p.auth ?? undefined),
    tls: p.tls ?? undefined,
    author: p.author ?? undefined,
    signing: p.signing ?? undefined,
    path: p.path,
    namespace: p.namespace ?? undefined,
    interval: p.interval ?? undefined,
    timeout: p.timeout ?? undefined,
    cluster: clusterOf(p),
    deployKey: p.deployKey || undefined,
    scanKnownHosts: p.scanKnownHosts ?? undefined,
    components: p.components ?? undefined,
    mode: p.mode ?? undefined,
    wait: p.wait ?? undefined,
    waitTimeout: p.waitTimeout ?? undefined,
    deleteGitManifests: p.deleteGitManifests ?? undefined,
    keepNamespace: p.keepNamespace ?? undefined,
    secretName: p.secretName ?? undefined,
    kustomizationOverride: p.kustomizationOverride ?? undefined,
    commitMessageAppendix: p.commitMessageAppendix ?? undefined,
  };
}

/** statusOfInputs is the status the previous checked inputs imply: their path and the digest of their credentials. */
function statusOfInputs(olds: Props | undefined): BootstrapGitStatus | undefined {
  if (!olds?.url || !olds.path) return undefined;
  const spec = bootstrapSpec(olds);
  const data = secretData(spec, spec.auth?.knownHosts);
  return { path: normalizePath(spec.path), secretDigest: Object.keys(data).length ? dataDigest(data) : undefined, secretName: spec.secretName ?? "flux-system" };
}

/** bootstrapGit implements the BootstrapGit dynamic provider. */
export const bootstrapGit = {
  async check(olds: Props, news: Props) {
    if (hasUnknowns(news)) return { inputs: news };
    try {
      // The deploy key is made once and kept in state (a secret); a new algorithm makes a new key.
      const algorithm = news.generateDeployKey ? (news.generateDeployKey.algorithm ?? "ecdsa-p384") : undefined;
      const deployKey = !algorithm ? "" : olds?.deployKey?.algorithm === algorithm ? olds.deployKey : await deployKeyFor(news.name, bootstrapSpec(news), algorithm);
      // Host keys are scanned once per check (scanKnownHosts), so the push, the Secret and the loop's GitRepository trust the same ones.
      const scan = news.scanKnownHosts && !news.auth?.knownHosts && isSshUrl(news.url);
      const knownHosts = scan ? await scanKnownHosts(news.url).catch((err) => rethrow("BootstrapGit", news.name, err)) : null;
      const inputs = { ...news, deployKey, deployKeyPublic: deployKey ? deployKey.publicKey : null, knownHosts };
      const plan = await planBootstrapGit(news.name, bootstrapSpec(inputs), statusOfInputs(olds), context());
      return { inputs: { ...inputs, plan: { revision: plan.revision ?? null, ...plan.changes } } };
    } catch (err) {
      rethrow("BootstrapGit", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    if (hasUnknowns(news) || !news.plan) return { changes: true };
    return { changes: changedFields(olds, news, FIELDS).length > 0 || hasBootstrapChanges(news.plan) };
  },
  async create(inputs: Props) {
    const result = await applyBootstrapGit(inputs.name, bootstrapSpec(inputs), undefined, context()).catch((err) => rethrow("BootstrapGit", inputs.name, err));
    return { id: `BootstrapGit/${inputs.name}`, outs: { ...inputs, revision: result.revision, repositoryFiles: result.repositoryFiles, status: result.status } };
  },
  async update(_id: string, olds: Props, news: Props) {
    // The digest of the previous inputs' credentials tells new credentials from a Secret kept as it was.
    const { secretDigest, secretName } = statusOfInputs(olds) ?? {};
    const previous = { ...olds.status, secretDigest, secretName };
    const result = await applyBootstrapGit(news.name, bootstrapSpec(news), previous, context()).catch((err) => rethrow("BootstrapGit", news.name, err));
    return { outs: { ...news, revision: result.revision, repositoryFiles: result.repositoryFiles, status: result.status } };
  },
  async delete(_id: string, props: Props) {
    await deleteBootstrapGit(props.name, bootstrapSpec(props), context()).catch((err) => rethrow("BootstrapGit", props.name, err));
  },
};
