// OCIRepository engine verbs: plan (resolve the ref; pull only when the manifest or settings changed)
// and ensure (bring exactly a recorded artifact into the store).
import { isDeepStrictEqual } from "node:util";
import type { Artifact } from "../artifact/artifact";
import { parseDuration } from "../duration";
import { FluxiacError, digestMismatch, errorMessage, type ObjectRef } from "../errors";
import { parseConstraint } from "../source/semver";
import { RegistryAuthError } from "../source/oci/auth";
import { RegistryClient } from "../source/oci/client";
import { pullOCIArtifact } from "../source/oci/pull";
import { OCIReferenceError, parseOCIReference, type OCIReference } from "../source/oci/reference";
import { manifestDigestOfRevision, resolveOCIRef, type OCITarget } from "../source/oci/resolve";
import { RegistryError } from "../source/oci/transport";
import type { OCILayerSelector, OCIRepositorySpec } from "../source/oci-types";
import type { ReconcileContext } from "./context";

/** OCIRepositoryStatus is what a previous reconcile observed. */
export interface OCIRepositoryStatus {
  artifact?: Artifact;
  /** The spec fields that shaped that artifact; a change forces a new pull. */
  observedUrl?: string;
  observedIgnore?: string;
  observedLayerSelector?: OCILayerSelector;
}

/** OCIRepositoryResult is a reconciled OCIRepository. */
export interface OCIRepositoryResult {
  artifact: Artifact;
  /** false when the previous artifact was reused without downloading a layer. */
  fetched: boolean;
}

const kind = "OCIRepository";
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** validateOCIRepository returns the problems of a spec, each naming its field. */
export function validateOCIRepository(spec: OCIRepositorySpec): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  if (!spec.url) add("url", "url is required (oci://<host>[:port]/<repository>)");
  else {
    try {
      parseOCIReference(spec.url);
    } catch (err) {
      add("url", `url ${errorMessage(err)}`);
    }
  }
  const ref = spec.ref ?? {};
  if (ref.digest !== undefined && !DIGEST.test(ref.digest)) add("ref.digest", `ref.digest "${ref.digest}" must be sha256:<64 hex>`);
  if (ref.semver !== undefined) {
    try {
      parseConstraint(ref.semver);
    } catch {
      add("ref.semver", `ref.semver "${ref.semver}" is not a semver range`);
    }
  }
  if (ref.semverFilter !== undefined) {
    try {
      new RegExp(ref.semverFilter);
    } catch {
      add("ref.semverFilter", `ref.semverFilter "${ref.semverFilter}" is not a regular expression`);
    }
  }
  const op = spec.layerSelector?.operation;
  if (op !== undefined && op !== "extract" && op !== "copy") add("layerSelector.operation", `layerSelector.operation "${op}" must be "extract" or "copy"`);
  if (spec.provider !== undefined && spec.provider !== "generic") {
    add("provider", `provider "${spec.provider}" is not supported yet: use provider "generic" with auth.dockerConfigJson or auth.username/password`);
  }
  if (spec.timeout !== undefined) {
    try {
      parseDuration(spec.timeout, "timeout");
    } catch (err) {
      add("timeout", errorMessage(err));
    }
  }
  if (spec.auth?.dockerConfigJson !== undefined && (spec.auth.username !== undefined || spec.auth.password !== undefined)) {
    add("auth", "auth takes either dockerConfigJson or username/password, not both");
  }
  if (spec.auth?.dockerConfigJson !== undefined) {
    try {
      JSON.parse(spec.auth.dockerConfigJson);
    } catch {
      add("auth.dockerConfigJson", "auth.dockerConfigJson is not valid JSON; give the content of a Docker config.json");
    }
  }
  if (spec.tls && Boolean(spec.tls.cert) !== Boolean(spec.tls.key)) add("tls", "tls.cert and tls.key go together (a client certificate and its key)");
  return problems;
}

/** withRegistry validates the spec, opens a client for its registry and turns failures into FluxiacErrors. */
async function withRegistry<T>(name: string, spec: OCIRepositorySpec, ctx: ReconcileContext, fn: (client: RegistryClient, ref: OCIReference) => Promise<T>): Promise<T> {
  const object = { kind, name };
  const problems = validateOCIRepository(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  const ref = parseOCIReference(spec.url);
  let client: RegistryClient;
  try {
    client = new RegistryClient({ host: ref.host, insecure: spec.insecure, auth: spec.auth, tls: spec.tls, timeoutMs: parseDuration(spec.timeout ?? "60s", "timeout"), signal: ctx.signal });
  } catch (err) {
    throw asFluxiacError(object, err);
  }
  try {
    return await fn(client, ref);
  } catch (err) {
    throw asFluxiacError(object, err);
  } finally {
    await client.close();
  }
}

function asFluxiacError(object: ObjectRef, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  if (err instanceof RegistryError) return new FluxiacError(object, err.reason, err.message);
  if (err instanceof RegistryAuthError || err instanceof OCIReferenceError) return new FluxiacError(object, "ValidationFailed", err.message);
  return new FluxiacError(object, "OCIOperationFailed", errorMessage(err));
}

/** sameSettings reports whether the fields that shape the artifact equal those of the previous reconcile. */
function sameSettings(spec: OCIRepositorySpec, previous: OCIRepositoryStatus): boolean {
  return previous.observedUrl === spec.url &&
    (previous.observedIgnore ?? "") === (spec.ignore ?? "") &&
    isDeepStrictEqual(previous.observedLayerSelector ?? {}, spec.layerSelector ?? {});
}

async function pull(name: string, client: RegistryClient, target: OCITarget, repository: string, spec: OCIRepositorySpec, ctx: ReconcileContext): Promise<Artifact> {
  const started = Date.now();
  const artifact = await pullOCIArtifact(client, target, { repository, layerSelector: spec.layerSelector, ignore: spec.ignore }, ctx.store);
  ctx.log.info(`${kind} "${name}": stored artifact for revision ${artifact.revision} (${artifact.size} bytes, ${Date.now() - started} ms)`);
  return artifact;
}

/**
 * planOCIRepository resolves the ref (one manifest request, plus the tag list for semver). When the
 * manifest digest and the settings (url, layerSelector, ignore) equal the previous reconcile and the store
 * holds the artifact, it reuses it without downloading a layer; otherwise it pulls and stores a new one.
 */
export async function planOCIRepository(name: string, spec: OCIRepositorySpec, previous: OCIRepositoryStatus | undefined, ctx: ReconcileContext): Promise<OCIRepositoryResult> {
  return withRegistry(name, spec, ctx, async (client, ref) => {
    const target = await resolveOCIRef(client, spec.url, ref.repository, spec.ref);
    const prev = previous?.artifact;
    if (prev && manifestDigestOfRevision(prev.revision) === target.manifest.digest && sameSettings(spec, previous) && (await ctx.store.has(prev.digest))) {
      ctx.log.debug(`${kind} "${name}": ${target.revision} unchanged, no pull`);
      return { artifact: { ...prev, revision: target.revision }, fetched: false };
    }
    return { artifact: await pull(name, client, target, ref.repository, spec, ctx), fetched: true };
  });
}

/**
 * ensureOCIArtifact makes sure the store holds exactly this artifact. If it does not (another machine, a
 * cleaned cache), it pulls the manifest by the exact digest in the revision and verifies the artifact's
 * digest: a mismatch is an error, never a silent re-resolve.
 */
export async function ensureOCIArtifact(name: string, spec: OCIRepositorySpec, artifact: Artifact, ctx: ReconcileContext): Promise<string> {
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  const object = { kind, name };
  const manifestDigest = manifestDigestOfRevision(artifact.revision);
  if (!manifestDigest) throw new FluxiacError(object, "ArtifactFailed", `revision "${artifact.revision}" is not an OCI revision (<tag>@sha256:<hex> or sha256:<hex>)`);
  ctx.log.info(`${kind} "${name}": artifact ${artifact.digest.slice(0, 19)}… not in the local store; pulling ${artifact.revision} again`);
  const fresh = await withRegistry(name, spec, ctx, async (client, ref) => {
    const manifest = await client.getManifest(ref.repository, manifestDigest);
    return pull(name, client, { revision: artifact.revision, manifest }, ref.repository, spec, ctx);
  });
  if (fresh.digest !== artifact.digest) {
    throw digestMismatch(object, `revision ${artifact.revision}`, artifact.digest, `the pulled content is ${fresh.digest}`, "layerSelector or ignore differ from those that produced it");
  }
  return ctx.store.path(artifact.digest);
}
