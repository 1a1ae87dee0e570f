// importBootstrapGit: what an already-bootstrapped namespace says about its bootstrap, for an IaC import.
// The Secret fluxiac wrote names the repository, path and branch in its annotations and holds the
// credentials to read the repository with; Flux's own flux-system GitRepository and Kustomization stand in
// for a namespace the flux CLI bootstrapped.
import { readFiles, revisionOf, withCheckout } from "../bootstrap/commit";
import { BRANCH_ANNOTATION, decodeData, PATH_ANNOTATION, readSecret, URL_ANNOTATION } from "../bootstrap/secret";
import { COMPONENTS_FILE, fluxDir, KUSTOMIZATION_FILE, normalizePath, SYNC_FILE } from "../bootstrap/sync-manifests";
import type { BootstrapGitSpec } from "../bootstrap/types";
import { FluxiacError, errorMessage } from "../errors";
import { connect, isNotFound, type ClusterConnection, type ObjectApi } from "../kube/client";
import type { GitAuth } from "../source/git-types";
import type { ReconcileContext } from "./context";

/** ImportedBootstrapGit is the bootstrap as the cluster and the repository have it. */
export interface ImportedBootstrapGit {
  /** The spec fields the cluster tells: url, path, branch, secretName, and auth/tls from the Secret's data. */
  spec: Pick<BootstrapGitSpec, "url" | "path" | "branch" | "secretName" | "auth" | "tls">;
  /** The branch revision (`main@sha1:<sha>`). */
  revision: string;
  /** The files under `<path>/flux-system/`, path → content. */
  repositoryFiles: Record<string, string>;
}

type SecretObject = { metadata: { name: string; annotations?: Record<string, string> }; data?: Record<string, string> };
type SyncObject = { spec?: { url?: string; path?: string; ref?: { branch?: string }; secretRef?: { name?: string } } };

const kind = "BootstrapGit";

/** credentialsOf turns the Secret's data back into the push credentials and the CA that bootstrap wrote there. */
function credentialsOf(data: Record<string, string>): Pick<BootstrapGitSpec, "auth" | "tls"> {
  let auth: GitAuth | undefined;
  if (data.identity) auth = { identity: data.identity, ...(data.known_hosts ? { knownHosts: data.known_hosts } : {}) };
  else if (data.bearerToken) auth = { bearerToken: data.bearerToken };
  else if (data.username !== undefined || data.password !== undefined) auth = { username: data.username ?? "", password: data.password ?? "" };
  return { ...(auth ? { auth } : {}), ...(data["ca.crt"] ? { tls: { caCert: data["ca.crt"] } } : {}) };
}

/** fluxSync reads Flux's flux-system GitRepository and Kustomization, when the cluster serves them. */
async function fluxSync(api: ObjectApi, namespace: string): Promise<{ repo?: SyncObject; ks?: SyncObject }> {
  const read = async (apiVersion: string, k: string) => {
    if (!(await api.apiResource(apiVersion, k))) return undefined;
    return (await api.read({ apiVersion, kind: k, metadata: { name: "flux-system", namespace } }).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)))) as SyncObject | undefined;
  };
  return { repo: await read("source.toolkit.fluxcd.io/v1", "GitRepository"), ks: await read("kustomize.toolkit.fluxcd.io/v1", "Kustomization") };
}

/**
 * importBootstrapGit reads a bootstrapped namespace: the one Secret fluxiac annotated with its bootstrap
 * (else Flux's flux-system sync objects and the Secret they name), then the branch with the Secret's
 * credentials, for the revision and the files under `<path>/flux-system/`. Nothing is written.
 */
export async function importBootstrapGit(name: string, namespace: string, cluster: ClusterConnection | undefined, ctx: ReconcileContext): Promise<ImportedBootstrapGit> {
  const object = { kind, name };
  let spec: ImportedBootstrapGit["spec"];
  try {
    const api = connect(cluster).api;
    const secrets = (await api.list<SecretObject>("v1", "Secret", namespace)).items.filter((s) => s.metadata.annotations?.[PATH_ANNOTATION] !== undefined);
    if (secrets.length > 1) {
      throw new FluxiacError(object, "ValidationFailed", `namespace "${namespace}" has several bootstrap Secrets (${secrets.map((s) => s.metadata.name).join(", ")}): delete the ones no longer used, then import again`);
    }
    const [owned] = secrets;
    if (owned) {
      const a = owned.metadata.annotations!;
      spec = { url: a[URL_ANNOTATION], path: a[PATH_ANNOTATION], branch: a[BRANCH_ANNOTATION] ?? "main", secretName: owned.metadata.name, ...credentialsOf(decodeData(owned.data)) };
    } else {
      const { repo, ks } = await fluxSync(api, namespace);
      if (!repo?.spec?.url || ks?.spec?.path === undefined) {
        throw new FluxiacError(object, "ValidationFailed", `namespace "${namespace}" is not bootstrapped: it has no Secret written by fluxiac and no flux-system GitRepository and Kustomization. Check the import id (<namespace>/<name>), or apply instead of importing`);
      }
      const secretName = repo.spec.secretRef?.name;
      const secret = secretName ? await readSecret(api, namespace, secretName) : undefined;
      spec = { url: repo.spec.url, path: normalizePath(ks.spec.path), branch: repo.spec.ref?.branch ?? "main", secretName: secretName ?? "flux-system", ...credentialsOf(secret?.data ?? {}) };
    }
  } catch (err) {
    if (err instanceof FluxiacError) throw err;
    throw new FluxiacError(object, "ClusterUnavailable", `reading namespace "${namespace}" failed (${errorMessage(err).split("\n")[0]}); check the provider's cluster settings`);
  }
  const dir = fluxDir(spec.path);
  const branch = spec.branch ?? "main";
  const { revision, files } = await withCheckout(spec as BootstrapGitSpec, { object, log: ctx.log, signal: ctx.signal }, async (c) => ({
    revision: c.head ? revisionOf(branch, c.head) : undefined,
    files: await readFiles(c, [COMPONENTS_FILE, SYNC_FILE, KUSTOMIZATION_FILE].map((f) => `${dir}/${f}`)),
  }));
  if (!revision || files[`${dir}/${SYNC_FILE}`] === undefined) {
    throw new FluxiacError(object, "ValidationFailed", `branch "${branch}" of ${spec.url} has no ${dir}/${SYNC_FILE}: the repository is not bootstrapped at path "${spec.path}"; apply instead of importing`);
  }
  const repositoryFiles = Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => e[1] !== undefined));
  return { spec, revision, repositoryFiles };
}
