// BootstrapGit engine verbs: plan (read the branch and the cluster, say what would change), apply (commit
// and push the sync manifests, write the Secret, in controllers mode apply Flux) and delete.
import { parseAllDocuments } from "yaml";
import { adoptDeployKey, generateDeployKey, scanKnownHosts } from "../bootstrap/deploy-key";
import { applyControllers, controllerObjects, loadComponents, planControllers, waitForControllers, type Components } from "../bootstrap/components";
import { branchOf, pushCommits, readFiles, revisionOf, withCheckout, type Checkout, type CommitStep, type PushOptions } from "../bootstrap/commit";
import { kustomizationOverrideProblem } from "../bootstrap/kustomization-override";
import { annotateSecret, createNamespace, CREATED_ANNOTATION, dataDigest, deleteSecret, namespaceExists, ownerAnnotations, PATH_ANNOTATION, readSecret, removeMovedSecret, secretAction, secretData, writeSecret, type SecretAction } from "../bootstrap/secret";
import { COMPONENTS_FILE, componentsManifest, fluxDir, kustomizationManifest, KUSTOMIZATION_FILE, normalizePath, SYNC_FILE, syncManifest, syncObjects } from "../bootstrap/sync-manifests";
import type { BootstrapGitSpec, BootstrapGitStatus, DeployKey, DeployKeyAlgorithm } from "../bootstrap/types";
import type { KubeObject } from "../build/kustomize";
import { parseDuration } from "../duration";
import { FluxiacError, errorMessage, type ObjectRef } from "../errors";
import { connect, isNotFound, type ObjectApi } from "../kube/client";
import type { ResourceManager } from "../kube/ssa/manager";
import { objectKey } from "../kube/ssa/sort";
import { isSshUrl } from "../source/git-auth";
import type { ReconcileContext } from "./context";
import { validateGitRepository } from "./git-repository";

/** BootstrapGitChanges is what an apply would change: repository files, the namespace, the Secret, cluster objects. */
export interface BootstrapGitChanges {
  /** Repository files to create or update. */
  files: string[];
  namespace: "create" | "unchanged";
  secret: SecretAction;
  /** controllers mode: objects to create or update (`Kind/namespace/name`). */
  cluster: string[];
}

/** BootstrapGitPlan is the branch's current revision (none for a new branch) and the changes. */
export interface BootstrapGitPlan {
  revision?: string;
  changes: BootstrapGitChanges;
}

/** BootstrapGitResult is an applied bootstrap: the branch revision, what was pushed and the files under `<path>/flux-system/`. */
export interface BootstrapGitResult {
  revision: string;
  commits: number;
  repositoryFiles: Record<string, string>;
  status: BootstrapGitStatus;
  changes: BootstrapGitChanges;
}

const kind = "BootstrapGit";
/** DNS_SUBDOMAIN is a Kubernetes object name (RFC 1123 subdomain). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * deployKeyFor returns the deploy key to use when none is recorded: the one the cluster's Secret holds
 * (IaC state lost; the repository trusts that key already), else a new one.
 */
export async function deployKeyFor(name: string, spec: BootstrapGitSpec, algorithm: DeployKeyAlgorithm): Promise<DeployKey> {
  let identity: string | undefined;
  try {
    const live = await readSecret(connect(spec.cluster).api, spec.namespace ?? "flux-system", spec.secretName ?? "flux-system");
    if (live && (live.annotations[PATH_ANNOTATION] ?? normalizePath(spec.path)) === normalizePath(spec.path)) identity = live.data.identity;
  } catch (err) {
    throw clusterError({ kind, name }, err);
  }
  return adoptDeployKey(identity, algorithm) ?? generateDeployKey(algorithm);
}

/** hasBootstrapChanges reports whether a plan would change the repository or the cluster. */
export function hasBootstrapChanges(c: BootstrapGitChanges): boolean {
  return c.files.length > 0 || c.namespace === "create" || c.secret === "create" || c.secret === "update" || c.cluster.length > 0;
}

/** validateBootstrapGit returns the problems of a spec, each naming its field. */
export function validateBootstrapGit(spec: BootstrapGitSpec): { property: string; reason: string }[] {
  const problems = validateGitRepository({ url: spec.url, auth: spec.auth, tls: spec.tls });
  const path = normalizePath(spec.path ?? "");
  if (!spec.path || !path) problems.push({ property: "path", reason: "path is required, e.g. \"clusters/prod\"" });
  else if (path.split("/").some((s) => s === ".." || s === ".git")) problems.push({ property: "path", reason: `path "${spec.path}" must stay inside the repository` });
  if (spec.mode !== undefined && spec.mode !== "fluxiac" && spec.mode !== "controllers") problems.push({ property: "mode", reason: `mode "${spec.mode}" is not valid: use "fluxiac" or "controllers"` });
  if (spec.mode === "controllers" && !spec.components) problems.push({ property: "components", reason: "controllers mode needs components: name Flux's component manifests (components.localPath or components.sourceRef)" });
  if (spec.url && isSshUrl(spec.url) && !spec.auth?.knownHosts && !spec.scanKnownHosts) {
    problems.push({ property: "auth.knownHosts", reason: "an SSH repository needs auth.knownHosts (ssh-keyscan prints it), or scanKnownHosts: true to trust the key the server presents" });
  }
  for (const field of ["interval", "timeout", "waitTimeout"] as const) {
    const value = spec[field];
    if (value === undefined) continue;
    try {
      parseDuration(value, field);
    } catch (err) {
      problems.push({ property: field, reason: errorMessage(err) });
    }
  }
  if (spec.secretName !== undefined && !(spec.secretName.length <= 253 && DNS_SUBDOMAIN.test(spec.secretName))) {
    problems.push({ property: "secretName", reason: `secretName "${spec.secretName}" is not a valid Secret name: use lowercase letters, digits, "-" and "."` });
  }
  if (spec.kustomizationOverride !== undefined) {
    const problem = kustomizationOverrideProblem(spec.kustomizationOverride, spec.components !== undefined);
    if (problem) problems.push({ property: "kustomizationOverride", reason: problem });
  }
  if (spec.deployKey && spec.url && !isSshUrl(spec.url)) problems.push({ property: "generateDeployKey", reason: "a deploy key is an SSH key: use an ssh:// URL, or drop generateDeployKey" });
  return problems;
}

function validate(name: string, spec: BootstrapGitSpec): ObjectRef {
  const object = { kind, name };
  const problems = validateBootstrapGit(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  return object;
}

/** clusterError names the object and the fix for a failure while talking to the API server. */
function clusterError(object: ObjectRef, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  const msg = errorMessage(err);
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|fetch failed|ECONNRESET|aborted due to timeout|TimeoutError/i.test(msg + String((err as { cause?: unknown })?.cause ?? ""))) {
    return new FluxiacError(object, "ClusterUnavailable", `the cluster is unreachable (${msg.split("\n")[0]}); check kubeconfig and that the API server is running`);
  }
  return new FluxiacError(object, "ApplyFailed", msg.split("\n")[0]);
}

/** Desired is what a bootstrap wants: files, Secret data, components. */
interface Desired {
  namespace: string;
  path: string;
  secretName: string;
  components?: Components;
  secret: Record<string, string>;
}

/**
 * withKnownHosts returns the spec with auth.knownHosts scanned from the server when the user opted in
 * (scanKnownHosts) and gave none, so the push and the Secret trust the same keys.
 */
async function withKnownHosts(object: ObjectRef, spec: BootstrapGitSpec, ctx: ReconcileContext): Promise<BootstrapGitSpec> {
  if (spec.auth?.knownHosts || !spec.scanKnownHosts || !isSshUrl(spec.url)) return spec;
  const knownHosts = await scanKnownHosts(spec.url, ctx.signal).catch((err) => {
    throw new FluxiacError(object, "GitOperationFailed", errorMessage(err));
  });
  return { ...spec, auth: { ...spec.auth, knownHosts } };
}

async function desired(object: ObjectRef, spec: BootstrapGitSpec, ctx: ReconcileContext): Promise<Desired> {
  const components = spec.components ? await loadComponents(spec.components, object, ctx) : undefined;
  return { namespace: spec.namespace ?? "flux-system", path: normalizePath(spec.path), secretName: spec.secretName ?? "flux-system", components, secret: secretData(spec, spec.auth?.knownHosts) };
}

/** syncOf is gotk-sync.yaml's fields for the spec. */
function syncOf(spec: BootstrapGitSpec, d: Desired) {
  return { url: spec.url, branch: branchOf(spec), path: d.path, namespace: d.namespace, interval: spec.interval ?? "1m", secretName: d.secretName };
}

/**
 * commitSteps are the commits bootstrap makes on a checkout, as `flux bootstrap` does: the components
 * ("Add Flux <ver> component manifests"), then the sync manifests ("Add Flux sync manifests") with
 * kustomization.yaml written only when missing, so user patches survive, or kustomizationOverride
 * written whenever it differs (the user owns it in IaC). A gotk-sync.yaml under the path
 * that syncs another path is someone else's bootstrap: an error naming the path and the fix.
 */
async function commitSteps(object: ObjectRef, spec: BootstrapGitSpec, d: Desired, c: Checkout): Promise<CommitStep[]> {
  const dir = fluxDir(d.path);
  const existing = await readFiles(c, [`${dir}/${SYNC_FILE}`, `${dir}/${KUSTOMIZATION_FILE}`]);
  const owner = syncedPath(existing[`${dir}/${SYNC_FILE}`]);
  if (owner !== undefined && owner !== d.path) {
    throw new FluxiacError(object, "ValidationFailed", `path "${d.path}" is owned by another bootstrap: ${dir}/${SYNC_FILE} syncs path "./${owner}". Bootstrap path "${owner}" instead, or remove ${dir}/ from the repository first`);
  }
  const steps: CommitStep[] = [];
  if (d.components) steps.push({ message: `Add Flux ${d.components.version} component manifests`, files: { [`${dir}/${COMPONENTS_FILE}`]: componentsManifest(d.components.manifests, d.components.version) } });
  const sync: Record<string, string> = { [`${dir}/${SYNC_FILE}`]: syncManifest(syncOf(spec, d)) };
  if (spec.kustomizationOverride !== undefined) sync[`${dir}/${KUSTOMIZATION_FILE}`] = spec.kustomizationOverride;
  else if (existing[`${dir}/${KUSTOMIZATION_FILE}`] === undefined) sync[`${dir}/${KUSTOMIZATION_FILE}`] = kustomizationManifest([...(d.components ? [COMPONENTS_FILE] : []), SYNC_FILE]);
  steps.push({ message: "Add Flux sync manifests", files: sync });
  return steps;
}

/** syncedPath reads the path the flux-system Kustomization of a gotk-sync.yaml syncs, normalized. */
function syncedPath(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as { kind?: string; spec?: { path?: string } } | null;
    if (o?.kind === "Kustomization" && typeof o.spec?.path === "string") return normalizePath(o.spec.path);
  }
  return undefined;
}

/** changedFiles lists the files of the steps whose content differs from the checkout's. */
async function changedFiles(c: Checkout, steps: CommitStep[]): Promise<string[]> {
  const files = Object.assign({}, ...steps.map((s) => s.files)) as Record<string, string | null>;
  const current = await readFiles(c, Object.keys(files));
  return Object.keys(files).filter((f) => current[f] !== (files[f] ?? undefined));
}

/** Live is what the cluster says about the bootstrap. */
interface Live {
  api: ObjectApi;
  m: ResourceManager;
  namespaceExists: boolean;
  secret: Awaited<ReturnType<typeof readSecret>>;
  /** The flux-system Kustomization, when the cluster serves the kind and has one. */
  kustomization?: KubeObject;
}

async function readLive(object: ObjectRef, spec: BootstrapGitSpec, d: Desired, ctx: ReconcileContext): Promise<Live> {
  let api: ObjectApi;
  try {
    api = connect(spec.cluster).api;
  } catch (err) {
    throw new FluxiacError(object, "ValidationFailed", `cluster: ${errorMessage(err)}`);
  }
  const m: ResourceManager = { api, owner: { name: "flux-system", namespace: d.namespace }, log: ctx.log, concurrency: 8, signal: ctx.signal };
  try {
    const exists = await namespaceExists(api, d.namespace);
    const secret = exists ? await readSecret(api, d.namespace, d.secretName) : undefined;
    let kustomization: KubeObject | undefined;
    if (exists && (await api.apiResource("kustomize.toolkit.fluxcd.io/v1", "Kustomization"))) {
      kustomization = (await api.read({ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", metadata: { name: "flux-system", namespace: d.namespace } }).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      })) as KubeObject | undefined;
    }
    return { api, m, namespaceExists: exists, secret, kustomization };
  } catch (err) {
    throw clusterError(object, err);
  }
}

/**
 * checkClusterOwner refuses a namespace bootstrapped from another path (the Secret's path annotation, or
 * the flux-system Kustomization's path) unless it is this bootstrap's previous path: a change of path.
 */
function checkClusterOwner(object: ObjectRef, d: Desired, live: Live, previous: BootstrapGitStatus | undefined): void {
  const ksPath = (live.kustomization?.spec as { path?: string } | undefined)?.path;
  const owner = live.secret?.annotations[PATH_ANNOTATION] ?? (ksPath === undefined ? undefined : normalizePath(ksPath));
  if (owner === undefined || owner === d.path || owner === previous?.path) return;
  throw new FluxiacError(
    object,
    "ValidationFailed",
    `path "${d.path}": namespace "${d.namespace}" of this cluster is already bootstrapped from path "${owner}". Set path to "${owner}", or destroy that bootstrap (or delete Secret ${d.namespace}/${d.secretName}) first`,
  );
}

/** needsComponents: as Flux, the components are applied only while the flux-system Kustomization is absent or has applied nothing. */
function needsComponents(live: Live): boolean {
  return !(live.kustomization?.status as { lastAppliedRevision?: string } | undefined)?.lastAppliedRevision;
}

/**
 * prepare is what plan and apply both start with: the validated spec (known_hosts scanned when asked),
 * what should be, what is in the cluster, and the check that no other bootstrap owns the namespace.
 */
async function prepare(name: string, given: BootstrapGitSpec, previous: BootstrapGitStatus | undefined, ctx: ReconcileContext) {
  const object = validate(name, given);
  const spec = await withKnownHosts(object, given, ctx);
  const d = await desired(object, spec, ctx);
  const live = await readLive(object, spec, d, ctx);
  checkClusterOwner(object, d, live, previous);
  return { object, spec, d, live, gctx: { object, log: ctx.log, signal: ctx.signal } };
}

/** planBootstrapGit reads the branch and the cluster and says what an apply would change. Nothing is written. */
export async function planBootstrapGit(name: string, given: BootstrapGitSpec, previous: BootstrapGitStatus | undefined, ctx: ReconcileContext): Promise<BootstrapGitPlan> {
  const { object, spec, d, live, gctx } = await prepare(name, given, previous, ctx);
  const { revision, files } = await withCheckout(spec, gctx, async (c) => ({
    revision: c.head ? revisionOf(branchOf(spec), c.head) : undefined,
    files: await changedFiles(c, await commitSteps(object, spec, d, c)),
  }));
  let cluster: string[] = [];
  if (spec.mode === "controllers") {
    try {
      const objects = await controllerObjects(live.m, needsComponents(live) ? d.components?.manifests : undefined, syncObjects(syncOf(spec, d)) as KubeObject[], object, d.namespace);
      cluster = live.namespaceExists ? await planControllers(live.m, objects) : objects.map(objectKey);
    } catch (err) {
      throw clusterError(object, err);
    }
  }
  const changes: BootstrapGitChanges = {
    files,
    namespace: live.namespaceExists ? "unchanged" : "create",
    secret: secretAction(live.secret, d.secret, previous?.secretDigest),
    cluster,
  };
  return { revision, changes };
}

/**
 * applyBootstrapGit converges: it commits and pushes what changed under `<path>/flux-system/` (cloning
 * again on a non-fast-forward push; no commit when nothing changed), creates the namespace, creates the
 * Secret (again, when deleted) or updates it when the credentials changed, and in controllers mode applies
 * the components and the sync objects and optionally waits for them. The namespace is created, never taken.
 */
export async function applyBootstrapGit(name: string, given: BootstrapGitSpec, previous: BootstrapGitStatus | undefined, ctx: ReconcileContext, opts: PushOptions = {}): Promise<BootstrapGitResult> {
  const { object, spec, d, live, gctx } = await prepare(name, given, previous, ctx);
  let files: string[] = [];
  const repositoryFiles: Record<string, string> = {};
  const pushed = await pushCommits(
    spec,
    async (c) => {
      const steps = await commitSteps(object, spec, d, c);
      files = await changedFiles(c, steps);
      const dir = fluxDir(d.path);
      const names = [...(d.components ? [COMPONENTS_FILE] : []), SYNC_FILE, KUSTOMIZATION_FILE];
      const all = { ...(await readFiles(c, names.map((n) => `${dir}/${n}`))), ...Object.assign({}, ...steps.map((s) => s.files)) } as Record<string, string | undefined>;
      for (const [k, v] of Object.entries(all)) if (v !== undefined) repositoryFiles[k] = v;
      return steps;
    },
    gctx,
    opts,
  );
  if (pushed.commits) ctx.log.info(`${kind} "${name}": pushed ${pushed.commits} commit(s) to ${pushed.revision}`);
  const secret = secretAction(live.secret, d.secret, previous?.secretDigest);
  if (secret === "keep") ctx.log.warn(`${kind} "${name}": Secret ${d.namespace}/${d.secretName} holds other credentials than the spec; kept, as flux bootstrap does. Change the credentials in the spec to replace it`);
  let cluster: string[] = [];
  try {
    if (!live.namespaceExists) await createNamespace(live.api, d.namespace);
    const owner = { path: d.path, url: spec.url, branch: branchOf(spec) };
    const created = secret === "create" || live.secret?.annotations[CREATED_ANNOTATION] === "true";
    if (secret === "create" || secret === "update") await writeSecret(live.api, d.namespace, d.secret, owner, d.secretName, created);
    else if (live.secret && Object.entries(ownerAnnotations(owner)).some(([k, v]) => live.secret!.annotations[k] !== v)) await annotateSecret(live.api, d.namespace, owner, d.secretName);
    await moveSecret(object, live.api, d, previous, ctx);
    if (spec.mode === "controllers") {
      const objects = await controllerObjects(live.m, needsComponents(live) ? d.components?.manifests : undefined, syncObjects(syncOf(spec, d)) as KubeObject[], object, d.namespace);
      cluster = await applyControllers(live.m, objects);
      if (spec.wait) await waitForControllers(live.m, objects, pushed.revision, spec.waitTimeout ?? "5m", object);
    }
  } catch (err) {
    throw clusterError(object, err);
  }
  // A kept Secret keeps the previous digest: the credentials of the spec were never written.
  const secretDigest = secret === "keep" ? previous?.secretDigest : Object.keys(d.secret).length ? dataDigest(d.secret) : undefined;
  const status: BootstrapGitStatus = {
    revision: pushed.revision,
    path: d.path,
    ...(secretDigest ? { secretDigest } : {}),
    secretName: d.secretName,
  };
  return { revision: pushed.revision, commits: pushed.commits, repositoryFiles, status, changes: { files, namespace: live.namespaceExists ? "unchanged" : "create", secret, cluster } };
}

/**
 * moveSecret removes the Secret a previous secretName named once the credentials are in the new one, when
 * fluxiac created it; a Secret it found there is kept, with a warning.
 */
async function moveSecret(object: ObjectRef, api: ObjectApi, d: Desired, previous: BootstrapGitStatus | undefined, ctx: ReconcileContext): Promise<void> {
  const old = previous?.secretName;
  if (old === undefined || old === d.secretName) return;
  if (await removeMovedSecret(api, d.namespace, old, d.path)) ctx.log.info(`${object.kind} "${object.name}": secretName moved from "${old}" to "${d.secretName}": Secret ${d.namespace}/${old} removed`);
  else ctx.log.warn(`${object.kind} "${object.name}": secretName moved from "${old}" to "${d.secretName}": Secret ${d.namespace}/${old} was not created by fluxiac for this path and is kept`);
}

/**
 * deleteBootstrapGit removes what bootstrap put in the cluster: the Secret (when this path owns it) and,
 * in controllers mode, the flux-system GitRepository and Kustomization (finalizers dropped first, so
 * Flux's controllers orphan what they applied, as `flux uninstall` does). The repository files go only
 * with deleteGitManifests, the namespace only with keepNamespace: false.
 */
export async function deleteBootstrapGit(name: string, given: BootstrapGitSpec, ctx: ReconcileContext): Promise<void> {
  const object = { kind, name };
  const spec = given.deleteGitManifests ? await withKnownHosts(object, given, ctx) : given;
  const namespace = spec.namespace ?? "flux-system";
  const path = normalizePath(spec.path);
  try {
    const api = connect(spec.cluster).api;
    if (spec.mode === "controllers") {
      for (const [apiVersion, k] of [["kustomize.toolkit.fluxcd.io/v1", "Kustomization"], ["source.toolkit.fluxcd.io/v1", "GitRepository"]]) {
        if (!(await api.apiResource(apiVersion, k))) continue;
        const ref = { apiVersion, kind: k, metadata: { name: "flux-system", namespace } };
        await api.patch({ ...ref, metadata: { ...ref.metadata, finalizers: null } } as never, undefined, undefined, "fluxiac", undefined, "application/merge-patch+json" as never).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
        await api.delete(ref).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      }
    }
    const secretName = spec.secretName ?? "flux-system";
    const secret = await readSecret(api, namespace, secretName);
    if (secret && (secret.annotations[PATH_ANNOTATION] ?? path) === path) await deleteSecret(api, namespace, secretName);
    if (spec.keepNamespace === false) {
      await api.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
  } catch (err) {
    throw clusterError(object, err);
  }
  if (spec.deleteGitManifests) {
    const dir = fluxDir(path);
    await pushCommits(spec, async () => [{ message: "Remove Flux manifests", files: { [dir]: null } }], { object, log: ctx.log, signal: ctx.signal });
  }
}
