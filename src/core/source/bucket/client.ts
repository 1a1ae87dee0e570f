// The narrow backend interface of the Bucket source (as source-controller's BucketProvider): list the
// objects under a prefix, download one object. Each provider implements it in its own file.

/** BucketObject is one listed object: its key and its ETag as the server reports it (quotes included). */
export interface BucketObject {
  key: string;
  etag: string;
}

/** DownloadOptions bound one download. */
export interface DownloadOptions {
  /** Download only if the object still has this ETag (If-Match); otherwise fail with kind "changed". */
  etag?: string;
  signal: AbortSignal;
}

/** BucketClient talks to one bucket of one object-storage server. */
export interface BucketClient {
  /** list yields every object whose key starts with prefix (all objects without one), page by page. */
  list(prefix: string | undefined, signal: AbortSignal): AsyncIterable<BucketObject>;
  /** download writes the object's bytes to destFile, which must not exist yet. */
  download(key: string, destFile: string, opts: DownloadOptions): Promise<void>;
  /** close releases the client's connections. */
  close(): void;
}

/**
 * BucketErrorKind classifies a failure so that the engine can name the field to fix:
 * auth (credentials), region, bucketNotFound, objectNotFound, changed (If-Match failed), checksum (the
 * bytes do not match the checksum the server stored), timeout,
 * unreachable, tls, invalidKey (a key that escapes the artifact root or collides with another), other.
 */
export type BucketErrorKind =
  | "auth"
  | "region"
  | "bucketNotFound"
  | "objectNotFound"
  | "changed"
  | "checksum"
  | "timeout"
  | "unreachable"
  | "tls"
  | "invalidKey"
  | "other";

/** BucketError is a classified backend failure. Its message never contains credentials. */
export class BucketError extends Error {
  constructor(
    readonly kind: BucketErrorKind,
    message: string,
    /** The object key the failure is about, if any. */
    readonly key?: string,
  ) {
    super(message);
    this.name = "BucketError";
  }
}
