// The Bucket index (source-controller internal/index/digest.go): which keys enter the artifact, their
// revision, and where each key lands in the artifact tree.
import { createHash } from "node:crypto";
import { posix, resolve, sep } from "node:path";
import ignore from "ignore";
import { BucketError, type BucketObject } from "./client";

/** SOURCEIGNORE is the ignore file Flux reads at the bucket's root (never below it). */
export const SOURCEIGNORE = ".sourceignore";

/** trimEtag drops the double quotes servers put around ETags, as minio-go (Flux's client) does. */
export function trimEtag(etag: string): string {
  return etag.replace(/^"/, "").replace(/"$/, "");
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * bucketRevision is Flux's Bucket revision: `sha256:` over the lines `"<key> <etag>\n"`, keys sorted
 * bytewise (Go's sort.Strings), ETags without quotes.
 */
export function bucketRevision(objects: readonly BucketObject[]): string {
  const hash = createHash("sha256");
  for (const o of [...objects].sort((a, b) => byteOrder(a.key, b.key))) hash.update(`${o.key} ${trimEtag(o.etag)}\n`);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * checkKey throws a BucketError of kind "invalidKey" for object keys that name the root, are absolute or contain
 * a `..` segment: such keys are never written. (Flux joins keys to its temp dir unchecked.)
 */
export function checkKey(key: string): void {
  const reject = (why: string) => new BucketError("invalidKey", `object key "${key}" ${why}; such keys are never written`, key);
  if (key.includes("\0") || posix.normalize(key).replace(/\/+$/, "") === ".") throw reject("is empty, names the root or contains a NUL byte");
  if (key.startsWith("/") || key.startsWith("\\") || /^[A-Za-z]:/.test(key)) throw reject("is an absolute path");
  if (key.split(/[/\\]/).includes("..")) throw reject('contains a ".." segment that would escape the artifact root');
}

/** objectPath maps an object key to its file under root, after checkKey, and only if it lands below root. */
export function objectPath(root: string, key: string): string {
  checkKey(key);
  const base = resolve(root);
  const target = resolve(base, key);
  if (target === base || !target.startsWith(base + sep)) {
    throw new BucketError("invalidKey", `object key "${key}" does not resolve to a file inside the artifact root; such keys are never written`, key);
  }
  return target;
}

/** KeyFilter decides which listed keys enter the index. */
export interface KeyFilter {
  excluded(key: string): boolean;
}

/**
 * keyFilter is Flux's Bucket filter (fetchEtagIndex): directory markers (keys ending in "/") and the root
 * .sourceignore never enter the index; otherwise only the root .sourceignore's patterns and the spec's
 * `ignore` apply, in gitignore syntax. Unlike a GitRepository, a Bucket has no default exclusions: Flux
 * matches keys against exactly these patterns and archives the downloads unfiltered.
 */
export function keyFilter(sourceIgnore: string | undefined, specIgnore: string | undefined): KeyFilter {
  const ig = ignore().add(sourceIgnore ?? "").add(specIgnore ?? "");
  return {
    excluded(key) {
      if (key.endsWith("/") || key === SOURCEIGNORE) return true;
      // The matcher wants a clean relative path; "a//b" and "./a" mean a/b and a, as in Go's path split.
      const rel = posix.normalize(key).replace(/^(\.\/)+/, "");
      return rel !== "." && rel !== "" && ig.ignores(rel);
    },
  };
}
