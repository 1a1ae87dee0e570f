// fluxiac_bootstrap_git: `flux bootstrap git`, idempotently. The plan reads the branch and the cluster and
// says what would be committed and created; the apply commits, pushes and writes the Secret (in controllers
// mode it applies Flux); destroy honours delete_git_manifests and keep_namespace; import reads the
// bootstrapped namespace and branch. The deploy key is made at plan time once and kept in state
// (deploy_key_private, sensitive). In fluxiac mode the self-management loop is the user's own
// fluxiac_git_repository and fluxiac_kustomization, wired to the `sync` attribute.
import type { BootstrapGitSpec, BootstrapGitStatus, DeployKey, DeployKeyAlgorithm } from "../../core/bootstrap/types";
import { FluxiacError, errorMessage } from "../../core/errors";
import type { BootstrapGitChanges } from "../../core/reconcile/bootstrap-git";
import { hasUnknown, UNKNOWN, type CtyObject } from "../cty";
import { error } from "../diagnostics";
import { engineProps, nullObject, snake } from "../schema";
import { attributes, specAttributes } from "./bootstrap-git-schema";
import type { CallContext, ResourceType } from "./resource";

const kind = "BootstrapGit";

/** Keys are the computed attributes the plan settles once: the deploy key and the trusted host keys. */
type Keys = { deploy_key_public: string | null; deploy_key_private: string | null; known_hosts: string | null };
const KEY_NAMES = ["deploy_key_public", "deploy_key_private", "known_hosts"] as const;

const engine = (): typeof import("../../core/reconcile/bootstrap-git") => require("../../core/reconcile/bootstrap-git");
const importer = (): typeof import("../../core/reconcile/bootstrap-git-import") => require("../../core/reconcile/bootstrap-git-import");
const bootstrap = () => ({
  deployKey: require("../../core/bootstrap/deploy-key") as typeof import("../../core/bootstrap/deploy-key"),
  secret: require("../../core/bootstrap/secret") as typeof import("../../core/bootstrap/secret"),
  sync: require("../../core/bootstrap/sync-manifests") as typeof import("../../core/bootstrap/sync-manifests"),
  gitAuth: require("../../core/source/git-auth") as typeof import("../../core/source/git-auth"),
});

const algorithmOf = (o: CtyObject | null): DeployKeyAlgorithm | undefined => {
  const g = o?.generate_deploy_key as CtyObject | null | undefined;
  return g ? ((g.algorithm as DeployKeyAlgorithm | null) ?? "ecdsa-p384") : undefined;
};

/** specOf turns the attributes (with the keys the plan settled) into the engine spec. */
function specOf(o: CtyObject, ctx: Pick<CallContext, "cluster">): BootstrapGitSpec {
  const { kubeconfig, context, generateDeployKey: _generate, components, auth, ...rest } = engineProps(specAttributes, o) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const algorithm = algorithmOf(o);
  const deployKey: DeployKey | undefined =
    algorithm && typeof o.deploy_key_private === "string" ? { algorithm, privateKey: o.deploy_key_private, publicKey: o.deploy_key_public as string } : undefined;
  const knownHosts = typeof o.known_hosts === "string" ? o.known_hosts : undefined;
  return {
    ...rest,
    ...(auth || knownHosts ? { auth: knownHosts && !auth?.knownHosts ? { ...auth, knownHosts } : auth } : {}),
    ...(components ? { components: { ...components, ...(components.sourceRef ? { sourceRef: JSON.parse(components.sourceRef) } : {}) } } : {}),
    ...(deployKey ? { deployKey } : {}),
    cluster: { kubeconfig: kubeconfig ?? ctx.cluster?.kubeconfig, context: context ?? ctx.cluster?.context },
  } as BootstrapGitSpec;
}

/**
 * keysFor keeps the prior deploy key (same algorithm) and scanned host keys (same URL), else makes them:
 * a new key is adopted from the cluster's Secret or generated (`fresh`: the final plan of the apply would
 * make another one, so the plan shows it as known after apply and the apply makes it).
 */
async function keysFor(name: string, config: CtyObject, prior: CtyObject | null, ctx: CallContext): Promise<{ keys: Keys; fresh: boolean }> {
  const b = bootstrap();
  const bare = specOf({ ...config, deploy_key_private: null, known_hosts: null }, ctx);
  const algorithm = algorithmOf(config);
  let key: { publicKey: string; privateKey: string } | undefined;
  const kept = typeof prior?.deploy_key_private === "string" && algorithmOf(prior) === algorithm;
  if (algorithm) {
    key = kept ? { privateKey: prior!.deploy_key_private as string, publicKey: prior!.deploy_key_public as string } : await engine().deployKeyFor(name, bare, algorithm);
  }
  let knownHosts = bare.auth?.knownHosts ?? null;
  if (!knownHosts && bare.scanKnownHosts && b.gitAuth.isSshUrl(bare.url)) {
    // Trust on first use: the host keys scanned once are kept while the URL stays.
    knownHosts =
      typeof prior?.known_hosts === "string" && prior.url === config.url
        ? prior.known_hosts
        : await b.deployKey.scanKnownHosts(bare.url, ctx.signal).catch((err) => {
            throw new FluxiacError({ kind, name }, "GitOperationFailed", errorMessage(err));
          });
  }
  return { keys: { deploy_key_public: key?.publicKey ?? null, deploy_key_private: key?.privateKey ?? null, known_hosts: knownHosts }, fresh: Boolean(algorithm) && !kept };
}

/** statusOf is what a previous apply recorded: the revision, the path and the digest of the credentials. */
function statusOf(prior: CtyObject | null, ctx: CallContext): BootstrapGitStatus | undefined {
  if (!prior || typeof prior.path !== "string") return undefined;
  const { secret, sync } = bootstrap();
  const spec = specOf(prior, ctx);
  const data = secret.secretData(spec, spec.auth?.knownHosts);
  return {
    revision: (prior.revision as string | null) ?? undefined,
    path: sync.normalizePath(spec.path),
    secretDigest: Object.keys(data).length ? secret.dataDigest(data) : undefined,
    secretName: spec.secretName ?? "flux-system",
  };
}

/** syncOf is what the self-management loop reconciles: the path, without the objects meant for Flux's controllers. */
function syncOf(spec: BootstrapGitSpec): CtyObject {
  const path = bootstrap().sync.normalizePath(spec.path);
  return { url: spec.url, branch: spec.branch ?? "main", path: `./${path}`, ignore: `/${path}/flux-system/\n` };
}

const summary = (revision: string | undefined, c: BootstrapGitChanges): CtyObject => ({ revision: revision ?? "", files: c.files, namespace: c.namespace, secret: c.secret, cluster: c.cluster });
const idOf = (o: CtyObject) => (typeof o.name === "string" && !hasUnknown(o.namespace) ? `${(o.namespace as string | null) ?? "flux-system"}/${o.name}` : UNKNOWN);
const configValues = (o: CtyObject) => Object.fromEntries(["name", ...Object.keys(specAttributes)].map((n) => [n, o[n]]));
const keysOf = (o: CtyObject | null) => Object.fromEntries(KEY_NAMES.map((k) => [k, o?.[k] ?? null]));

/** bootstrapGit is the fluxiac_bootstrap_git resource type. */
export const bootstrapGit: ResourceType = {
  typeName: "fluxiac_bootstrap_git",
  kind,
  description: "flux bootstrap git: the sync manifests committed to the repository and the credentials written to the cluster, idempotently.",
  attributes,
  validate(config) {
    const values = configValues(config);
    let problems: { property: string; reason: string }[];
    try {
      // A placeholder key, so the check that a deploy key needs an SSH URL runs before one is made.
      const placeholder: CtyObject = algorithmOf(config) ? { deploy_key_private: "", deploy_key_public: "" } : {};
      problems = engine().validateBootstrapGit(specOf({ ...config, ...placeholder, known_hosts: null }, {}));
    } catch {
      return [];
    }
    return problems
      .filter((p) => !hasUnknown(values[snake(p.property.split(/[.[]/)[0])]))
      .map((p) => error(`${kind} "${config.name}": ${p.reason}`, "", p.property));
  },

  async plan({ prior, proposed, config }, ctx) {
    const base: CtyObject = { ...proposed, id: idOf(config) };
    if (hasUnknown(configValues(config)) || ctx.clusterUnknown) {
      return { state: { ...base, plan: UNKNOWN, revision: UNKNOWN, repository_files: UNKNOWN, sync: UNKNOWN, ...Object.fromEntries(KEY_NAMES.map((k) => [k, UNKNOWN])) } };
    }
    const name = config.name as string;
    const { keys, fresh } = await keysFor(name, config, prior, ctx);
    const spec = specOf({ ...config, ...keys }, ctx);
    const plan = await engine().planBootstrapGit(name, spec, statusOf(prior, ctx), ctx);
    const same = prior !== null && JSON.stringify([configValues(prior), keysOf(prior)]) === JSON.stringify([configValues(proposed), keys]);
    if (same && !engine().hasBootstrapChanges(plan.changes)) return { state: base };
    // A commit makes a new revision; the loop's sync settings are known once the push is done.
    const commits = plan.changes.files.length > 0;
    const known = !commits && prior !== null && prior.repository_files !== null;
    return {
      state: {
        ...base,
        ...keys,
        ...(fresh ? { deploy_key_public: UNKNOWN, deploy_key_private: UNKNOWN } : {}),
        plan: summary(plan.revision, plan.changes),
        revision: !commits && plan.revision ? plan.revision : UNKNOWN,
        repository_files: known ? prior!.repository_files : UNKNOWN,
        sync: commits ? UNKNOWN : syncOf(spec),
      },
    };
  },

  async apply({ prior, planned }, ctx) {
    const name = planned.name as string;
    const keys = KEY_NAMES.some((k) => hasUnknown(planned[k])) ? (await keysFor(name, planned, prior, ctx)).keys : keysOf(planned);
    const spec = specOf({ ...planned, ...keys }, ctx);
    const result = await engine().applyBootstrapGit(name, spec, statusOf(prior, ctx), ctx);
    return {
      state: {
        ...planned,
        ...keys,
        id: idOf(planned),
        plan: hasUnknown(planned.plan) ? summary(result.revision, result.changes) : planned.plan,
        revision: result.revision,
        repository_files: result.repositoryFiles,
        sync: syncOf(spec),
      },
    };
  },

  async destroy(prior, _priv, ctx) {
    await engine().deleteBootstrapGit(prior.name as string, specOf(prior, ctx), ctx);
  },

  async read(state) {
    // The plan reads the branch and the cluster itself: a deleted Secret or a rebuilt cluster shows there.
    return { state };
  },

  async importState(id, ctx) {
    const parts = id.split("/");
    const [namespace, name] = parts.length === 2 ? parts : [null, parts[0]];
    if (parts.length > 2 || !name || namespace === "") throw new FluxiacError({ kind, name: id }, "ValidationFailed", "import id must be <namespace>/<name>, or <name> when the configuration leaves namespace unset (flux-system)");
    // The import reads the provider's cluster: a resource's own kubeconfig is not known yet.
    const imported = await importer().importBootstrapGit(name, namespace ?? "flux-system", ctx.cluster, ctx);
    const s = imported.spec;
    const state: CtyObject = {
      ...nullObject(attributes),
      name,
      namespace,
      url: s.url,
      path: s.path,
      // Defaults stay null, as a configuration that leaves them out has them.
      branch: s.branch === "main" ? null : (s.branch ?? null),
      secret_name: s.secretName === "flux-system" ? null : (s.secretName ?? null),
      auth: s.auth ? { username: s.auth.username ?? null, password: s.auth.password ?? null, bearer_token: s.auth.bearerToken ?? null, identity: s.auth.identity ?? null, known_hosts: s.auth.knownHosts ?? null } : null,
      tls: s.tls ? { ca_cert: s.tls.caCert ?? null, cert: null, key: null } : null,
      known_hosts: s.auth?.knownHosts ?? null,
    };
    const spec = specOf(state, ctx);
    return {
      state: {
        ...state,
        id: idOf(state),
        plan: summary(imported.revision, { files: [], namespace: "unchanged", secret: "unchanged", cluster: [] }),
        revision: imported.revision,
        repository_files: imported.repositoryFiles,
        sync: syncOf(spec),
      },
    };
  },
};
