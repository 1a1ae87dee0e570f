// The Secret `flux-system` that holds the repository's credentials for Flux's source-controller, and the
// namespace around it.
import { createHash } from "node:crypto";
import type { ObjectApi } from "../kube/client";
import { isNotFound } from "../kube/client";
import { publicKeyOf } from "./deploy-key";
import type { BootstrapGitSpec } from "./types";

/** PATH_ANNOTATION and URL_ANNOTATION record on the Secret which bootstrap owns the namespace. */
export const PATH_ANNOTATION = "fluxiac.dev/bootstrap-path";
export const URL_ANNOTATION = "fluxiac.dev/bootstrap-url";
/** BRANCH_ANNOTATION records the branch, so an import finds the repository files. */
export const BRANCH_ANNOTATION = "fluxiac.dev/bootstrap-branch";

/** SecretOwner is the bootstrap a Secret belongs to, recorded in its annotations. */
export interface SecretOwner {
  path: string;
  url: string;
  branch: string;
}

/** ownerAnnotations are the annotations that record the owner. */
export const ownerAnnotations = (o: SecretOwner) => ({ [PATH_ANNOTATION]: o.path, [URL_ANNOTATION]: o.url, [BRANCH_ANNOTATION]: o.branch });
/** CREATED_ANNOTATION marks a Secret fluxiac created (not one it found): only such a Secret is removed when secretName moves. */
export const CREATED_ANNOTATION = "fluxiac.dev/bootstrap-created";

/** SecretAction is what ensureSecret did or would do. */
export type SecretAction = "create" | "update" | "unchanged" | "keep" | "none";

/**
 * secretData is the Secret's data as Flux's bootstrap writes it: `identity`, `identity.pub` and
 * `known_hosts` for SSH (the deploy key when one is given, else the push identity), else `username` and
 * `password`, or `bearerToken`, with `ca.crt` when a CA is given. Empty when there are no credentials (file:// or anonymous HTTPS).
 */
export function secretData(spec: BootstrapGitSpec, knownHosts: string | undefined): Record<string, string> {
  const identity = spec.deployKey?.privateKey ?? spec.auth?.identity;
  if (identity) {
    const data: Record<string, string> = { identity, "identity.pub": spec.deployKey?.publicKey ?? publicKeyOf(identity) };
    if (knownHosts) data.known_hosts = knownHosts;
    return data;
  }
  const ca: Record<string, string> = spec.tls?.caCert ? { "ca.crt": spec.tls.caCert } : {};
  if (spec.auth?.bearerToken) return { bearerToken: spec.auth.bearerToken, ...ca };
  if (spec.auth?.username !== undefined || spec.auth?.password !== undefined) return { username: spec.auth.username ?? "", password: spec.auth.password ?? "", ...ca };
  return ca;
}

/** dataDigest is the sha256 of the Secret data, to tell new credentials from old ones without keeping them. */
export function dataDigest(data: Record<string, string>): string {
  const sorted = Object.keys(data).sort().map((k) => [k, data[k]]);
  return `sha256:${createHash("sha256").update(JSON.stringify(sorted)).digest("hex")}`;
}

/** LiveSecret is the Secret as the cluster has it: data (decoded) and annotations; undefined when absent. */
export interface LiveSecret {
  data: Record<string, string>;
  annotations: Record<string, string>;
}

/** decodeData is a Secret's data as text (the API sends it base64-encoded). */
export function decodeData(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** readSecret reads the Secret, or undefined when it does not exist. */
export async function readSecret(api: ObjectApi, namespace: string, name = "flux-system"): Promise<LiveSecret | undefined> {
  try {
    const s = (await api.read({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } })) as { data?: Record<string, string>; metadata?: { annotations?: Record<string, string> } };
    return { data: decodeData(s.data), annotations: s.metadata?.annotations ?? {} };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * secretAction decides, as Flux's bootstrap: a missing Secret is created (even one deleted by hand); an
 * existing one is kept unless the credentials changed since the last apply (a new key or new
 * credentials), and updated when they did.
 */
export function secretAction(live: LiveSecret | undefined, desired: Record<string, string>, previousDigest: string | undefined): SecretAction {
  if (!Object.keys(desired).length) return "none";
  if (!live) return "create";
  if (dataDigest(live.data) === dataDigest(desired)) return "unchanged";
  return previousDigest !== undefined && previousDigest !== dataDigest(desired) ? "update" : "keep";
}

/**
 * writeSecret creates the Secret, or replaces it whole (keys that left the credentials leave it), with the
 * owner annotations; `created` (a Secret fluxiac created, or replaces having created it) adds CREATED_ANNOTATION.
 */
export async function writeSecret(api: ObjectApi, namespace: string, data: Record<string, string>, owner: SecretOwner, name = "flux-system", created = false): Promise<void> {
  const body = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, annotations: { ...ownerAnnotations(owner), ...(created ? { [CREATED_ANNOTATION]: "true" } : {}) } },
    stringData: data,
  };
  await api.replace(body).catch((err) => {
    if (!isNotFound(err)) throw err;
    return api.create(body);
  });
}

/** annotateSecret sets the owner annotations on the existing Secret, leaving its data alone. */
export async function annotateSecret(api: ObjectApi, namespace: string, owner: SecretOwner, name = "flux-system"): Promise<void> {
  const patch = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace, annotations: ownerAnnotations(owner) } };
  await api.patch(patch, undefined, undefined, "fluxiac", undefined, "application/merge-patch+json" as never);
}

/** deleteSecret deletes the Secret; a missing one is fine. */
export async function deleteSecret(api: ObjectApi, namespace: string, name = "flux-system"): Promise<void> {
  await api.delete({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } }).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
}

/**
 * removeMovedSecret deletes the Secret a previous secretName named, when fluxiac created it for this path;
 * false when it is kept (someone else's Secret) or already gone.
 */
export async function removeMovedSecret(api: ObjectApi, namespace: string, name: string, path: string): Promise<boolean> {
  const old = await readSecret(api, namespace, name);
  if (!old || old.annotations[CREATED_ANNOTATION] !== "true" || old.annotations[PATH_ANNOTATION] !== path) return false;
  await deleteSecret(api, namespace, name);
  return true;
}

/** namespaceExists reports whether the namespace exists. */
export async function namespaceExists(api: ObjectApi, namespace: string): Promise<boolean> {
  return api.read({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }).then(() => true, (err) => {
    if (isNotFound(err)) return false;
    throw err;
  });
}

/** createNamespace creates the namespace when it does not exist. */
export async function createNamespace(api: ObjectApi, namespace: string): Promise<void> {
  await api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
}
