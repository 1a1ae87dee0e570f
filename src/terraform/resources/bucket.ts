// fluxiac_bucket: Flux's Bucket, listed at plan time for its revision and downloaded only when it or the
// settings changed.
import type { BucketSpec } from "../../core/source/bucket-types";
import { bool, obj, str } from "../schema";
import { tlsAttr } from "./common";
import { sourceResource } from "./source";

/** bucket is the fluxiac_bucket resource type. */
export const bucket = sourceResource<BucketSpec>({
  typeName: "fluxiac_bucket",
  kind: "Bucket",
  description: "Flux's Bucket",
  renamed: { provider: "cloudProvider" },
  specAttributes: {
    cloud_provider: str('Flux\'s provider: "generic" (any S3-compatible server) or "aws". Default "generic".'),
    bucket_name: str("The bucket's name.", { required: true }),
    endpoint: str("host[:port] of the S3 endpoint; required unless cloud_provider is aws."),
    region: str('Region. Default "us-east-1".'),
    prefix: str("Only keys with this prefix are listed."),
    insecure: bool("Plain HTTP instead of HTTPS. Default false."),
    auth: obj("Access keys.", { access_key: str("Access key id."), secret_key: str("Secret access key.") }, { optional: true, sensitive: true }),
    tls: tlsAttr,
    timeout: str('Timeout of bucket operations. Default "60s".'),
    ignore: str("Extra .sourceignore patterns."),
  },
  engine() {
    const e: typeof import("../../core/reconcile/bucket") = require("../../core/reconcile/bucket");
    return {
      validate: e.validateBucket,
      async plan(name, spec, previous, ctx) {
        return (await e.planBucket(name, spec, previous && e.bucketStatus(previous.spec, previous.artifact), ctx)).artifact;
      },
      ensure: e.ensureBucketArtifact,
    };
  },
});
