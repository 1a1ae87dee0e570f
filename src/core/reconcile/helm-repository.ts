// HelmRepository engine verbs: plan (fetch index.yaml, reuse the stored index when its digest did not
// change) and ensure (get exactly this index into the store again). OCI repositories have no artifact.
import { parseDuration } from "../duration";
import { FluxiacError, digestMismatch, errorMessage } from "../errors";
import type { Artifact } from "../artifact/artifact";
import type { HelmRepositorySpec } from "../source/helm-types";
import { fetchIndex } from "../source/helm/repository";
import { parseOCIReference } from "../source/oci";
import type { ReconcileContext } from "./context";

/** HelmRepositoryStatus is what a previous reconcile observed. */
export interface HelmRepositoryStatus {
  artifact?: Artifact;
  observedUrl?: string;
}

/** HelmRepositoryResult is a reconciled HelmRepository; `artifact` is absent for type oci (as in Flux). */
export interface HelmRepositoryResult {
  artifact?: Artifact;
  /** false when the previous artifact was reused (the index is always downloaded to learn its digest). */
  fetched: boolean;
}

const kind = "HelmRepository";

/** helmRepositoryType is the spec's type, defaulting from the URL's scheme (`oci://` means oci). */
export function helmRepositoryType(spec: HelmRepositorySpec): "default" | "oci" {
  return spec.type ?? (spec.url?.startsWith("oci://") ? "oci" : "default");
}

/** validateHelmRepository returns the problems of a spec, each naming its field. */
export function validateHelmRepository(spec: HelmRepositorySpec): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  const type = helmRepositoryType(spec);
  if (spec.type !== undefined && spec.type !== "default" && spec.type !== "oci") problems.push({ property: "type", reason: `type "${spec.type}" must be "default" or "oci"` });
  if (!spec.url) problems.push({ property: "url", reason: "url is required (https://, http:// or oci://)" });
  else {
    let url: URL | undefined;
    try {
      url = new URL(spec.url);
    } catch {
      problems.push({ property: "url", reason: `url "${spec.url}" is not a URL` });
    }
    if (url && (url.username || url.password)) problems.push({ property: "url", reason: "url must not contain credentials: put them in auth" });
    else if (url && type === "oci" && url.protocol !== "oci:") problems.push({ property: "url", reason: `type oci needs an oci:// url, not "${url.protocol}//"` });
    else if (url && type === "oci") {
      try {
        parseOCIReference(spec.url);
      } catch (err) {
        problems.push({ property: "url", reason: errorMessage(err) });
      }
    }
    else if (url && type === "default" && url.protocol !== "http:" && url.protocol !== "https:") {
      problems.push({ property: "url", reason: `url must start with https:// or http:// (or oci:// for an OCI registry), not "${url.protocol}//"` });
    }
  }
  if (spec.insecure && type !== "oci") problems.push({ property: "insecure", reason: "insecure applies to OCI registries only; use an http:// url for a plain-HTTP chart repository" });
  if (spec.timeout !== undefined) {
    try {
      parseDuration(spec.timeout, "timeout");
    } catch (err) {
      problems.push({ property: "timeout", reason: errorMessage(err) });
    }
  }
  if (Boolean(spec.tls?.cert) !== Boolean(spec.tls?.key)) problems.push({ property: "tls", reason: "tls.cert and tls.key go together (client certificate and its key)" });
  if (Boolean(spec.auth?.username) !== Boolean(spec.auth?.password)) problems.push({ property: "auth", reason: "auth needs both username and password" });
  return problems;
}

function validated(name: string, spec: HelmRepositorySpec): void {
  const problems = validateHelmRepository(spec);
  if (problems.length) throw new FluxiacError({ kind, name }, "ValidationFailed", problems.map((p) => p.reason).join("; "));
}

/**
 * planHelmRepository fetches index.yaml. When its digest (the revision) and the URL equal the previous
 * reconcile and the store still holds that artifact, the artifact is reused; otherwise the normalised
 * index is stored as a new artifact. Type oci has no artifact.
 */
export async function planHelmRepository(name: string, spec: HelmRepositorySpec, previous: HelmRepositoryStatus | undefined, ctx: ReconcileContext): Promise<HelmRepositoryResult> {
  validated(name, spec);
  if (helmRepositoryType(spec) === "oci") return { fetched: false };
  const index = await fetchIndex({ kind, name }, spec, ctx.signal);
  const prev = previous?.artifact;
  if (prev && prev.revision === index.revision && previous.observedUrl === spec.url && (await ctx.store.has(prev.digest))) {
    ctx.log.debug(`${kind} "${name}": index ${index.revision} unchanged`);
    return { artifact: prev, fetched: false };
  }
  const artifact = await index.store(ctx.store);
  ctx.log.info(`${kind} "${name}": stored index revision ${artifact.revision} (${artifact.size} bytes)`);
  return { artifact, fetched: true };
}

/**
 * ensureHelmRepositoryArtifact makes sure the store holds exactly this index. Without it, the index is
 * fetched again; a different revision or digest is an error naming both, never a silent re-resolve.
 */
export async function ensureHelmRepositoryArtifact(name: string, spec: HelmRepositorySpec, artifact: Artifact | undefined, ctx: ReconcileContext): Promise<string> {
  const object = { kind, name };
  if (!artifact) {
    const why = helmRepositoryType(spec) === "oci" ? "type oci has no artifact: charts are pulled from the registry itself" : "its index has not been fetched yet";
    throw new FluxiacError(object, "ArtifactFailed", `no index artifact: ${why}`);
  }
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  validated(name, spec);
  ctx.log.info(`${kind} "${name}": index ${artifact.digest.slice(0, 19)}… not in the local store; fetching it again`);
  const index = await fetchIndex(object, spec, ctx.signal);
  if (index.revision !== artifact.revision) {
    throw new FluxiacError(object, "ArtifactFailed", `the repository now serves index revision ${index.revision}, state has ${artifact.revision}; run \`pulumi up\` (or refresh) to record the new index`);
  }
  const fresh = await index.store(ctx.store);
  if (fresh.digest !== artifact.digest) {
    throw digestMismatch(object, `index revision ${artifact.revision}`, artifact.digest, `the fetched index normalises to ${fresh.digest}`, "fluxiac normalises indexes differently from the version that recorded it");
  }
  return ctx.store.path(artifact.digest);
}
