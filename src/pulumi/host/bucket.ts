// Bucket's provider-side code: the shared source provider, listing the bucket for its revision and
// downloading only when it or the settings changed.
import { bucketStatus, ensureBucketArtifact, planBucket, validateBucket } from "../../core/reconcile/bucket";
import type { BucketSpec } from "../../core/source/bucket-types";
import { pick, sourceProvider } from "./source";

const SPEC = ["provider", "bucketName", "endpoint", "region", "prefix", "insecure", "auth", "tls", "timeout", "ignore"] as const;

/** bucket implements the Bucket dynamic provider. */
export const bucket = sourceProvider<BucketSpec>({
  kind: "Bucket",
  spec: (p) => pick(p, SPEC),
  validate: validateBucket,
  async plan(name, spec, olds, ctx) {
    const { artifact } = await planBucket(name, spec, olds && bucketStatus(pick(olds, SPEC), olds.artifact), ctx);
    return { artifact };
  },
  ensure: ensureBucketArtifact,
  fields: [...SPEC, "artifact"],
});
