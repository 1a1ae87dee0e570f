// Bucket: the construct of `fluxiac_bucket`, Flux's Bucket source (S3-compatible object storage).
import type { Construct } from "constructs";
import { validateBucket } from "../core/reconcile/bucket";
import type { BucketSpec } from "../core/source/bucket-types";
import type { ObjectProps } from "./resource";
import { SourceResource, type TLSProps } from "./source";

/** BucketAuthProps are Flux's `secretRef` keys `accesskey` and `secretkey`, as values. Sensitive. */
export interface BucketAuthProps {
  readonly accessKey?: string;
  readonly secretKey?: string;
}

/** BucketProps are Flux's Bucket fields, as BucketArgs of the Pulumi component. */
export interface BucketProps extends ObjectProps {
  /**
   * Flux's `provider` (`provider` is a Terraform meta-argument, hence the name): "generic" (any
   * S3-compatible server) or "aws". @default "generic"
   */
  readonly cloudProvider?: BucketSpec["provider"];
  /** Name of the bucket. */
  readonly bucketName: string;
  /** host[:port] of the S3 endpoint (a scheme is accepted too); optional for "aws". */
  readonly endpoint?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** Only keys with this prefix are listed (server-side filter). */
  readonly prefix?: string;
  /** Plain HTTP instead of HTTPS. @default false */
  readonly insecure?: boolean;
  /** Access and secret key. Sensitive. Without them a generic bucket is read anonymously. */
  readonly auth?: BucketAuthProps;
  /** CA bundle and client certificate (Flux's certSecretRef). Sensitive. */
  readonly tls?: TLSProps;
  /** Timeout of each bucket step (listing, downloading). @default "60s" */
  readonly timeout?: string;
  /** Extra .sourceignore patterns, applied to object keys after the bucket's root .sourceignore. */
  readonly ignore?: string;
}

/**
 * Bucket makes an S3-compatible bucket's objects a versioned artifact. The revision (`sha256:` over the
 * sorted keys and ETags, as Flux computes it) is resolved by one listing at plan time.
 */
export class Bucket extends SourceResource<"Bucket"> {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_bucket";
  readonly sourceKind = "Bucket" as const;

  constructor(scope: Construct, id: string, props: BucketProps) {
    const { cloudProvider, bucketName, endpoint, region, prefix, insecure, auth, tls, timeout, ignore } = props;
    const attributes = { cloudProvider, bucketName, endpoint, region, prefix, insecure, auth, tls, timeout, ignore };
    super(scope, id, props, {
      kind: "Bucket",
      type: Bucket.tfResourceType,
      attributes,
      secrets: ["auth.secretKey", "tls.key"],
      validate: () =>
        validateBucket({ ...attributes, provider: cloudProvider } as BucketSpec).map((p) =>
          p.property === "provider" ? { property: "cloudProvider", reason: p.reason.replace(/^provider/, "cloudProvider") } : p,
        ),
    });
  }
}
