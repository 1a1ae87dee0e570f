// The S3 backend of the Bucket source, for provider "generic" (any S3-compatible server, path-style) and
// "aws". The AWS SDK is loaded inside connectS3 only: a module-level import would be captured by Pulumi's
// closure serialization, which AWS SDK v3 breaks.
import { createWriteStream } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BucketSpec } from "../bucket-types";
import { BucketError, type BucketClient, type BucketErrorKind, type BucketObject, type DownloadOptions } from "./client";

/** DEFAULT_REGION is the region used when the spec names none (Flux's and the SDK's default). */
export const DEFAULT_REGION = "us-east-1";

/**
 * SDK_MAX_ATTEMPTS keeps SDK retries low (one retry): every call is bounded by the spec's `timeout`, and
 * retries with back-off would spend it on a server that already said no.
 */
const SDK_MAX_ATTEMPTS = 2;

/**
 * endpointUrl turns Flux's `endpoint` (`host[:port]`, scheme optional) into a URL: https:// unless
 * `insecure: true`. An explicit scheme must agree with `insecure`. Without an endpoint (provider "aws")
 * it returns undefined: the SDK picks the region's endpoint. Throws a message naming the field.
 */
export function endpointUrl(spec: Pick<BucketSpec, "endpoint" | "insecure">): string | undefined {
  const raw = spec.endpoint?.trim();
  if (!raw) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme && scheme !== "http" && scheme !== "https") throw new Error(`endpoint "${raw}" must be host[:port], or start with https:// or http://`);
  if (scheme === "http" && !spec.insecure) throw new Error(`endpoint "${raw}" is plain HTTP: set insecure: true to allow it, or use https://`);
  if (scheme === "https" && spec.insecure) throw new Error(`endpoint "${raw}" is https:// but insecure is true: drop the scheme or set insecure: false`);
  let url: URL;
  try {
    url = new URL(scheme ? raw : `${spec.insecure ? "http" : "https"}://${raw}`);
  } catch {
    throw new Error(`endpoint "${raw}" is not a valid host[:port]`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
    throw new Error(`endpoint "${raw}" must be host[:port] without path, query or credentials (put the bucket in bucketName, credentials in auth)`);
  }
  return url.origin;
}

const AUTH_ERRORS = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "InvalidToken",
  "ExpiredToken",
  "InvalidSecurity",
  "XAdminUserNotFound", // versitygw: unknown access key
]);
const TLS_CODES = /^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE"]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** classifyS3Error maps an SDK or socket error to a BucketError kind, by S3 error code, then socket code. */
export function classifyS3Error(err: unknown, signal: AbortSignal, key?: string): BucketError {
  if (err instanceof BucketError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.Code ?? e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? (e.cause as SdkError | undefined)?.code ?? "";
  // One line, without OpenSSL's source locations: "EPROTO: wrong version number".
  const message = (e.message ?? String(err)).replace(/^(write |read )?[A-Z]+ [0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):.*$/s, "$2");
  const text = `${name}: ${message}`.replace(/\s+/g, " ").trim().slice(0, 300);
  const kind = ((): BucketErrorKind => {
    if (signal.aborted || name === "AbortError" || name === "TimeoutError") return "timeout";
    if (AUTH_ERRORS.has(name)) return "auth";
    if (name === "AuthorizationHeaderMalformed" && /region/i.test(e.message ?? "")) return "region";
    if (name === "PermanentRedirect" || status === 301) return "region";
    if (name === "NoSuchBucket") return "bucketNotFound";
    if (name === "NoSuchKey" || (key !== undefined && (name === "NotFound" || status === 404))) return "objectNotFound";
    if (name === "PreconditionFailed" || status === 412) return "changed";
    if (/^Checksum mismatch/.test(e.message ?? "")) return "checksum";
    if (TLS_CODES.test(code)) return "tls";
    if (NETWORK_CODES.has(code)) return "unreachable";
    if (status === 403) return "auth";
    return "other";
  })();
  return new BucketError(kind, code && !text.includes(code) ? `${text} (${code})` : text, key);
}

/** ANONYMOUS makes the client send unsigned requests (Smithy's noAuth scheme), for public buckets. */
const ANONYMOUS = {
  httpAuthSchemes: [{ schemeId: "smithy.api#noAuth", identityProvider: () => async () => ({}), signer: { sign: async <T>(request: T) => request } }],
  httpAuthSchemeProvider: () => [{ schemeId: "smithy.api#noAuth" }],
};

/** S3Connection is what connectS3 needs: the spec's connection fields, already validated. */
export type S3Connection = Pick<BucketSpec, "provider" | "bucketName" | "endpoint" | "insecure" | "region" | "auth" | "tls">;

/** connectS3 returns a BucketClient for an S3-compatible endpoint (path-style) or Amazon S3. */
export async function connectS3(spec: S3Connection, opts: { maxSockets: number }): Promise<BucketClient> {
  const s3 = await import("@aws-sdk/client-s3");
  const tls = spec.tls ?? {};
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets };
  const httpAgent = new HttpAgent(agentOpts);
  const httpsAgent = new HttpsAgent({ ...agentOpts, ca: tls.caCert || undefined, cert: tls.cert || undefined, key: tls.key || undefined });
  const { accessKey, secretKey } = spec.auth ?? {};
  const anonymous = !(accessKey && secretKey) && (spec.provider ?? "generic") === "generic";
  const client = new s3.S3Client({
    endpoint: endpointUrl(spec),
    region: spec.region || DEFAULT_REGION,
    forcePathStyle: (spec.provider ?? "generic") === "generic" || Boolean(spec.endpoint),
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: { httpAgent, httpsAgent },
    // Without keys a generic bucket is read anonymously, as Flux does; "aws" falls back to the SDK's
    // default chain (environment, instance role), as Flux's IAM credentials do.
    ...(accessKey && secretKey ? { credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } } : {}),
    ...(anonymous ? ANONYMOUS : {}),
  });
  const bucket = spec.bucketName;
  return {
    async *list(prefix: string | undefined, signal: AbortSignal): AsyncIterable<BucketObject> {
      let token: string | undefined;
      do {
        const page = await client
          .send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }), { abortSignal: signal })
          .catch((err: unknown) => Promise.reject(classifyS3Error(err, signal)));
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) yield { key: o.Key, etag: o.ETag ?? "" };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async download(key: string, destFile: string, { etag, signal }: DownloadOptions): Promise<void> {
      try {
        const res = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }), { abortSignal: signal });
        await pipeline(res.Body as Readable, createWriteStream(destFile, { flags: "wx", mode: 0o600 }), { signal });
      } catch (err) {
        throw classifyS3Error(err, signal, key);
      }
    },
    close() {
      client.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
