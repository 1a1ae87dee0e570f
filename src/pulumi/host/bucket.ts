// Bucket's provider-side code: check lists the bucket, computes the revision and downloads only when it
// changed; create and update make sure the store holds exactly that artifact.
import type { Artifact } from "../../core/artifact/artifact";
import { bucketStatus, ensureBucketArtifact, planBucket, validateBucket } from "../../core/reconcile/bucket";
import type { BucketSpec } from "../../core/source/bucket-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function bucketSpec(p: Props): BucketSpec {
  return {
    provider: p.provider,
    bucketName: p.bucketName,
    endpoint: p.endpoint,
    region: p.region,
    prefix: p.prefix,
    insecure: p.insecure,
    auth: p.auth,
    tls: p.tls,
    timeout: p.timeout,
    ignore: p.ignore,
  };
}

const BUCKET_FIELDS = ["provider", "bucketName", "endpoint", "region", "prefix", "insecure", "auth", "tls", "timeout", "ignore", "artifact"];

/** bucket implements the Bucket dynamic provider. */
export const bucket = {
  async check(olds: Props, news: Props) {
    const failures = validateBucket(bucketSpec(news)).map((f) => ({ property: f.property, reason: `Bucket "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const previous = olds?.artifact ? bucketStatus(bucketSpec(olds), olds.artifact as Artifact) : undefined;
      const { artifact } = await planBucket(news.name, bucketSpec(news), previous, context());
      return { inputs: { ...news, artifact } };
    } catch (err) {
      rethrow("Bucket", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    const changed = changedFields(olds, news, BUCKET_FIELDS);
    return { changes: changed.length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    await ensureBucketArtifact(inputs.name, bucketSpec(inputs), inputs.artifact, context()).catch((err) => rethrow("Bucket", inputs.name, err));
    return { id: `Bucket/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    await ensureBucketArtifact(news.name, bucketSpec(news), news.artifact, context()).catch((err) => rethrow("Bucket", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};
