// Bucket: a Pulumi component for Flux's Bucket source (S3-compatible object storage).
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { BucketSpec } from "../core/source/bucket-types";
import { bucketProvider } from "./providers";
import { registerSource, secret, type TLSArgs } from "./source";

/** BucketAuthArgs are Flux's `secretRef` keys `accesskey` and `secretkey`, as values. */
export interface BucketAuthArgs {
  accessKey?: pulumi.Input<string>;
  secretKey?: pulumi.Input<string>;
}

/** BucketArgs are Flux's Bucket fields. */
export interface BucketArgs {
  /** "generic" (any S3-compatible server) or "aws"; "gcp" and "azure" are not supported yet. @default "generic" */
  provider?: pulumi.Input<BucketSpec["provider"]>;
  /** Name of the bucket. */
  bucketName: pulumi.Input<string>;
  /** host[:port] of the S3 endpoint (a scheme is accepted too); optional for provider "aws". */
  endpoint?: pulumi.Input<string>;
  /** @default "us-east-1" */
  region?: pulumi.Input<string>;
  /** Only keys with this prefix are listed (server-side filter). */
  prefix?: pulumi.Input<string>;
  /** Plain HTTP instead of HTTPS. @default false */
  insecure?: pulumi.Input<boolean>;
  /** Access and secret key. Always stored as secrets. Without them a generic bucket is read anonymously. */
  auth?: pulumi.Input<BucketAuthArgs>;
  /** CA bundle and client certificate (Flux's certSecretRef). Always stored as secrets. */
  tls?: pulumi.Input<TLSArgs>;
  /** Timeout of each bucket step (listing, downloading). @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Extra .sourceignore patterns, applied to object keys after the bucket's root .sourceignore. */
  ignore?: pulumi.Input<string>;
}

/**
 * Bucket makes an S3-compatible bucket's objects a versioned artifact during preview and up. The
 * revision (`sha256:` over the sorted keys and ETags, as Flux computes it) is resolved by one listing;
 * objects are downloaded only when it changed.
 */
export class Bucket extends pulumi.ComponentResource {
  /** artifact is the bucket's revision (`sha256:<hex>`), the sha256 digest of its tar.gz and its size. */
  readonly artifact: pulumi.Output<Artifact>;
  /** sourceReference is what consumers such as Kustomization receive (secret when auth or tls is set). */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: "Bucket" }>>;

  constructor(name: string, args: BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:Bucket", name, {}, opts);
    const { provider, bucketName, endpoint, region, prefix, insecure, timeout, ignore } = args;
    const spec = { provider, bucketName, endpoint, region, prefix, insecure, auth: secret(args.auth), tls: secret(args.tls), timeout, ignore };
    const source = registerSource(this, "Bucket", name, bucketProvider, spec, { secrets: ["auth", "tls"] });
    this.artifact = source.artifact;
    this.sourceReference = source.sourceReference;
    this.registerOutputs({ artifact: this.artifact });
  }
}
