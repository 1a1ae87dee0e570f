// Bucket fetch steps (source-controller bucket_controller.go fetchEtagIndex / fetchIndexFiles): index the
// bucket (root .sourceignore, listing, revision), then download the indexed objects and pack them.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import pLimit from "p-limit";
import type { Artifact } from "../../artifact/artifact";
import type { ArtifactStore } from "../../artifact/store";
import type { Logger } from "../../log";
import { BucketError, type BucketClient, type BucketObject } from "./client";
import { bucketRevision, checkKey, keyFilter, objectPath, SOURCEIGNORE } from "./revision";

/**
 * DOWNLOAD_CONCURRENCY bounds parallel downloads (and sockets). Flux allows 100; fluxiac runs inside a
 * single Node process next to the IaC engine, where 16 already keeps a link busy with small manifests
 * without opening a hundred sockets to a small self-hosted S3 server.
 */
export const DOWNLOAD_CONCURRENCY = 16;

/** BucketIndex is the listing that survived the ignore rules, and its revision. */
export interface BucketIndex {
  /** The kept objects, ETags as the server reported them. */
  objects: BucketObject[];
  revision: string;
}

/** FetchContext bounds one fetch step. */
export interface FetchContext {
  log: Logger;
  /** Aborts the step (the spec's timeout, the caller's cancellation). */
  signal: AbortSignal;
}

/** withTempDir runs fn with a fresh temp dir that is always removed. */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-bucket-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** readRootSourceIgnore downloads the bucket's root .sourceignore, or returns undefined if there is none. */
async function readRootSourceIgnore(client: BucketClient, signal: AbortSignal): Promise<string | undefined> {
  return withTempDir(async (dir) => {
    const file = join(dir, SOURCEIGNORE);
    try {
      await client.download(SOURCEIGNORE, file, { signal });
    } catch (err) {
      if (err instanceof BucketError && err.kind === "objectNotFound") return undefined;
      throw err;
    }
    return readFile(file, "utf8");
  });
}

/**
 * indexBucket lists the bucket under `prefix` and keeps the keys that survive the root .sourceignore and
 * `ignore`. A listed key that would escape the artifact root fails the index, before anything is written.
 */
export async function indexBucket(client: BucketClient, opts: { prefix?: string; ignore?: string }, ctx: FetchContext): Promise<BucketIndex> {
  const filter = keyFilter(await readRootSourceIgnore(client, ctx.signal), opts.ignore);
  const objects: BucketObject[] = [];
  for await (const o of client.list(opts.prefix, ctx.signal)) {
    if (o.key.endsWith("/") || o.key === SOURCEIGNORE) continue;
    checkKey(o.key);
    if (!filter.excluded(o.key)) objects.push(o);
  }
  const revision = bucketRevision(objects);
  ctx.log.debug(`bucket index: ${objects.length} objects, revision ${revision}`);
  return { objects, revision };
}

/** objectFiles maps each indexed key to its file under root, rejecting keys that escape or collide. */
export function objectFiles(root: string, objects: readonly BucketObject[]): Map<string, BucketObject> {
  const files = new Map<string, BucketObject>();
  for (const o of objects) {
    const file = objectPath(root, o.key);
    const other = files.get(file);
    if (other) throw new BucketError("invalidKey", `object keys "${other.key}" and "${o.key}" map to the same file "${relative(root, file)}"`, o.key);
    files.set(file, o);
  }
  for (const [file, o] of files) {
    for (let dir = dirname(file); dir.length > root.length; dir = dirname(dir)) {
      const parent = files.get(dir);
      if (parent) throw new BucketError("invalidKey", `object "${parent.key}" is a file where object "${o.key}" needs a directory`, o.key);
    }
  }
  return files;
}

/**
 * fetchBucketArtifact downloads the indexed objects into a temp dir, at most DOWNLOAD_CONCURRENCY at a
 * time and each only while its ETag still matches the index (If-Match), then packs the tree into the
 * store unfiltered (the index already applied the ignore rules). The temp dir is always removed.
 */
export async function fetchBucketArtifact(client: BucketClient, index: BucketIndex, store: ArtifactStore, ctx: FetchContext): Promise<Artifact> {
  return withTempDir(async (root) => {
    const files = objectFiles(root, index.objects);
    // The first failure aborts the downloads in flight and skips the queued ones; all of them settle
    // before the temp dir is removed, so nothing is written after the cleanup.
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const limit = pLimit(DOWNLOAD_CONCURRENCY);
    let first: unknown;
    const download = async (file: string, o: BucketObject) => {
      if (signal.aborted) throw new BucketError("timeout", "the fetch was aborted", o.key);
      await mkdir(dirname(file), { recursive: true });
      await client.download(o.key, file, { etag: o.etag || undefined, signal });
    };
    const fail = (err: unknown) => {
      first ??= err;
      stop.abort();
    };
    await Promise.allSettled([...files].map(([file, o]) => limit(() => download(file, o).catch(fail))));
    if (first !== undefined) throw first;
    ctx.log.debug(`bucket: downloaded ${files.size} objects`);
    const packed = await store.packDir(root, { rules: { ignored: () => false } });
    return { revision: index.revision, digest: packed.digest, size: packed.size };
  });
}
