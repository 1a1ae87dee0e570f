// Bucket spec types: Flux's source.toolkit.fluxcd.io/v1 Bucket fields, as plain data.
import type { TLSConfig } from "./tls";

/** BucketAuth is Flux's `secretRef` (keys `accesskey`, `secretkey`) as values. Stored as a secret. */
export interface BucketAuth {
  accessKey?: string;
  secretKey?: string;
}

/** BucketSpec is a Bucket's desired state. */
export interface BucketSpec {
  /** "generic" (any S3-compatible server) or "aws"; "gcp" and "azure" are not supported yet. @default "generic" */
  provider?: "generic" | "aws" | "gcp" | "azure";
  bucketName: string;
  /**
   * Host[:port] of the S3 endpoint, without scheme (Flux's form); a scheme is accepted too. Required
   * unless provider is "aws", where the SDK derives it from the region.
   */
  endpoint?: string;
  /** @default "us-east-1" */
  region?: string;
  /** Only keys with this prefix are listed (server-side filter). */
  prefix?: string;
  /** Plain HTTP instead of HTTPS. @default false */
  insecure?: boolean;
  auth?: BucketAuth;
  tls?: TLSConfig;
  /** Timeout of bucket operations. @default "60s" */
  timeout?: string;
  /** Extra .sourceignore patterns. */
  ignore?: string;
}
