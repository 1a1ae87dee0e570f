// Bucket engine verbs: validate, plan (index the bucket; download only when the revision or settings
// changed) and ensure (bring exactly a recorded artifact into the local store).
import type { Artifact } from "../artifact/artifact";
import { parseDuration } from "../duration";
import { FluxiacError, digestMismatch, type ObjectRef } from "../errors";
import type { BucketSpec } from "../source/bucket-types";
import { BucketError, type BucketClient } from "../source/bucket/client";
import { DOWNLOAD_CONCURRENCY, fetchBucketArtifact, indexBucket, type BucketIndex } from "../source/bucket/fetch";
import { connectS3, DEFAULT_REGION, endpointUrl } from "../source/bucket/s3";
import type { ReconcileContext } from "./context";

/** BucketStatus is what a previous reconcile observed. */
export interface BucketStatus {
  artifact?: Artifact;
  /** The spec fields that shaped that artifact; a change forces a new download. */
  observedEndpoint?: string;
  observedBucketName?: string;
  observedPrefix?: string;
  observedIgnore?: string;
}

/** BucketResult is a reconciled Bucket. */
export interface BucketResult {
  artifact: Artifact;
  /** false when the previous artifact was reused without downloading any object. */
  fetched: boolean;
}

const kind = "Bucket";
const DEFAULT_TIMEOUT = "60s";

/** validateBucket returns the problems of a spec, each naming its field. */
export function validateBucket(spec: BucketSpec): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  const provider = spec.provider ?? "generic";
  if (provider === "gcp" || provider === "azure") {
    problems.push({ property: "provider", reason: `provider "${provider}" is not supported yet: use provider "generic" with the service's S3-compatible endpoint, or "aws"` });
  } else if (provider !== "generic" && provider !== "aws") {
    problems.push({ property: "provider", reason: `provider "${provider}" is unknown: use "generic" or "aws"` });
  }
  if (!spec.bucketName) problems.push({ property: "bucketName", reason: "bucketName is required" });
  if (!spec.endpoint && provider !== "aws") problems.push({ property: "endpoint", reason: "endpoint is required (host[:port] of the S3 server)" });
  try {
    endpointUrl(spec);
  } catch (err) {
    problems.push({ property: "endpoint", reason: (err as Error).message });
  }
  try {
    if (parseDuration(spec.timeout ?? DEFAULT_TIMEOUT, "timeout") <= 0) problems.push({ property: "timeout", reason: "timeout must be longer than 0s" });
  } catch (err) {
    problems.push({ property: "timeout", reason: (err as Error).message });
  }
  if (Boolean(spec.auth?.accessKey) !== Boolean(spec.auth?.secretKey)) {
    problems.push({ property: "auth", reason: "auth needs both accessKey and secretKey" });
  }
  if (Boolean(spec.tls?.cert) !== Boolean(spec.tls?.key)) {
    problems.push({ property: "tls", reason: "tls needs both cert and key for a client certificate" });
  }
  return problems;
}

function where(spec: BucketSpec): string {
  let url: string | undefined;
  try {
    url = endpointUrl(spec);
  } catch {
    url = spec.endpoint;
  }
  return url ?? "Amazon S3";
}

/** bucketFailure turns a backend failure into an error that names the field to fix; credentials masked. */
export function bucketFailure(object: ObjectRef, spec: BucketSpec, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  const e = err instanceof BucketError ? err : new BucketError("other", String((err as Error)?.message ?? err));
  const detail = [spec.auth?.secretKey, spec.auth?.accessKey].reduce<string>((t, s) => (s ? t.split(s).join("***") : t), e.message);
  const at = where(spec);
  const fail = (reason: "AuthenticationFailed" | "BucketOperationFailed", message: string) => new FluxiacError(object, reason, message, { cause: err });
  switch (e.kind) {
    case "auth":
      return fail("AuthenticationFailed", `authentication to ${at} failed (${detail}): check auth (accessKey and secretKey) and the bucket's access policy`);
    case "region":
      return fail("BucketOperationFailed", `${at} rejected region "${spec.region || DEFAULT_REGION}" (${detail}): set region to the bucket's region`);
    case "bucketNotFound":
      return fail("BucketOperationFailed", `bucket "${spec.bucketName}" was not found at ${at}: check bucketName`);
    case "objectNotFound":
    case "changed":
      return fail("BucketOperationFailed", `object "${e.key}" in bucket "${spec.bucketName}" changed while it was downloaded; the bucket is being written to, run again`);
    case "checksum":
      return fail("BucketOperationFailed", `object "${e.key}" in bucket "${spec.bucketName}" does not match the checksum the server stored (${detail}): it was changed outside the S3 API or corrupted`);
    case "timeout":
      return fail("BucketOperationFailed", `${at} did not answer within timeout ${spec.timeout ?? DEFAULT_TIMEOUT}: check endpoint and insecure, or raise timeout`);
    case "unreachable":
      return fail("BucketOperationFailed", `${at} is unreachable (${detail}): check endpoint and insecure`);
    case "tls":
      return fail("BucketOperationFailed", `TLS with ${at} failed (${detail}): set tls.caCert to the CA that signed the server's certificate, or insecure: true if the endpoint serves plain HTTP`);
    case "invalidKey":
      return fail("BucketOperationFailed", `${detail}: rename or remove the object in bucket "${spec.bucketName}"`);
    default:
      return fail("BucketOperationFailed", `bucket "${spec.bucketName}" at ${at}: ${detail}`);
  }
}

/**
 * withBucket validates the spec, connects, runs fn with a `deadline` that starts a fresh `timeout` per
 * step (as Flux bounds its index and its downloads separately), and translates failures.
 */
async function withBucket<T>(name: string, spec: BucketSpec, ctx: ReconcileContext, fn: (client: BucketClient, deadline: () => AbortSignal) => Promise<T>): Promise<T> {
  const object = { kind, name };
  const problems = validateBucket(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  const timeoutMs = parseDuration(spec.timeout ?? DEFAULT_TIMEOUT, "timeout");
  const deadline = () => (ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs));
  const client = await connectS3(spec, { maxSockets: DOWNLOAD_CONCURRENCY });
  try {
    return await fn(client, deadline);
  } catch (err) {
    throw bucketFailure(object, spec, err);
  } finally {
    client.close();
  }
}

function index(client: BucketClient, spec: BucketSpec, ctx: ReconcileContext, signal: AbortSignal): Promise<BucketIndex> {
  return indexBucket(client, { prefix: spec.prefix, ignore: spec.ignore }, { log: ctx.log, signal });
}

/**
 * planBucket lists the bucket and computes Flux's revision. When the revision and the settings equal the
 * previous reconcile and the store still holds the artifact, it reuses it without downloading; otherwise
 * it downloads the indexed objects and packs a new artifact. Read-only towards the bucket.
 */
export async function planBucket(name: string, spec: BucketSpec, previous: BucketStatus | undefined, ctx: ReconcileContext): Promise<BucketResult> {
  return withBucket(name, spec, ctx, async (client, deadline) => {
    const idx = await index(client, spec, ctx, deadline());
    const prev = previous?.artifact;
    if (
      prev &&
      prev.revision === idx.revision &&
      previous.observedEndpoint === spec.endpoint &&
      previous.observedBucketName === spec.bucketName &&
      (previous.observedPrefix ?? "") === (spec.prefix ?? "") &&
      (previous.observedIgnore ?? "") === (spec.ignore ?? "") &&
      (await ctx.store.has(prev.digest))
    ) {
      ctx.log.debug(`${kind} "${name}": ${idx.revision} unchanged, no download`);
      return { artifact: prev, fetched: false };
    }
    ctx.log.info(`${kind} "${name}": downloading ${idx.objects.length} objects for ${idx.revision}`);
    return { artifact: await fetchBucketArtifact(client, idx, ctx.store, { log: ctx.log, signal: deadline() }), fetched: true };
  });
}

/** bucketStatus is the status a plan of this spec leaves for the next one. */
export function bucketStatus(spec: BucketSpec, artifact: Artifact): BucketStatus {
  return { artifact, observedEndpoint: spec.endpoint, observedBucketName: spec.bucketName, observedPrefix: spec.prefix, observedIgnore: spec.ignore };
}

/**
 * ensureBucketArtifact makes sure the store holds exactly this artifact. If it does not (another machine,
 * a cleaned cache), it lists the bucket again: a different revision is an error (a bucket keeps no
 * history to fetch an old revision from); the same revision is downloaded, packed and its digest
 * verified. A mismatch is an error, never a silent re-resolve.
 */
export async function ensureBucketArtifact(name: string, spec: BucketSpec, artifact: Artifact, ctx: ReconcileContext): Promise<string> {
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  const object = { kind, name };
  ctx.log.info(`${kind} "${name}": artifact ${artifact.digest.slice(0, 19)}… not in the local store; downloading ${artifact.revision} again`);
  const fresh = await withBucket(name, spec, ctx, async (client, deadline) => {
    const idx = await index(client, spec, ctx, deadline());
    if (idx.revision !== artifact.revision) {
      throw new FluxiacError(
        object,
        "ArtifactFailed",
        `bucket "${spec.bucketName}" changed since revision ${artifact.revision} was recorded (it is now ${idx.revision}) and the local store lacks that artifact; ` +
          "run `pulumi up` (or refresh) to record the new revision",
      );
    }
    return fetchBucketArtifact(client, idx, ctx.store, { log: ctx.log, signal: deadline() });
  });
  if (fresh.digest !== artifact.digest) {
    throw digestMismatch(object, `revision ${artifact.revision}`, artifact.digest, `the downloaded content is ${fresh.digest}`, "the objects changed under the same ETags");
  }
  return ctx.store.path(artifact.digest);
}
