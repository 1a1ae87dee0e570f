// SourceReference: how a consumer (Kustomization, HelmChart, HelmRelease) names a source and its resolved
// artifact, and how it gets that exact artifact into the local store.
import type { Artifact } from "../artifact/artifact";
import type { BucketSpec } from "../source/bucket-types";
import type { GitRepositoryReference } from "../source/git-types";
import type { HelmChartSpec, HelmRepositorySpec } from "../source/helm-types";
import type { OCIRepositorySpec } from "../source/oci-types";
import { ensureBucketArtifact } from "./bucket";
import type { ReconcileContext } from "./context";
import { ensureGitArtifact } from "./git-repository";
import { ensureHelmChartArtifact } from "./helm-chart";
import { ensureHelmRepositoryArtifact } from "./helm-repository";
import { ensureOCIArtifact } from "./oci-repository";

/** SourceReference is a source's kind, name, spec and the artifact the consumer must use. */
export type SourceReference =
  | GitRepositoryReference
  | { kind: "OCIRepository"; name: string; spec: OCIRepositorySpec; artifact: Artifact }
  | { kind: "Bucket"; name: string; spec: BucketSpec; artifact: Artifact }
  /** An OCI HelmRepository has no artifact (as in Flux): charts are pulled from the registry itself. */
  | { kind: "HelmRepository"; name: string; spec: HelmRepositorySpec; artifact?: Artifact }
  | { kind: "HelmChart"; name: string; spec: HelmChartSpec; artifact: Artifact };

/** SourceKind is the kind of any source. */
export type SourceKind = SourceReference["kind"];

/**
 * ensureSourceArtifact returns the local path of the referenced artifact. When the store lacks it (another
 * machine, another CI runner), the source fetches that exact revision again and verifies the digest.
 */
export function ensureSourceArtifact(ref: SourceReference, ctx: ReconcileContext): Promise<string> {
  switch (ref.kind) {
    case "GitRepository":
      return ensureGitArtifact(ref.name, ref.spec, ref.artifact, ctx);
    case "OCIRepository":
      return ensureOCIArtifact(ref.name, ref.spec, ref.artifact, ctx);
    case "Bucket":
      return ensureBucketArtifact(ref.name, ref.spec, ref.artifact, ctx);
    case "HelmRepository":
      return ensureHelmRepositoryArtifact(ref.name, ref.spec, ref.artifact, ctx);
    case "HelmChart":
      return ensureHelmChartArtifact(ref.name, ref.spec, ref.artifact, ctx);
    default:
      // References come from IaC state too, where the type system does not reach.
      throw new Error(`sourceRef.kind "${(ref as { kind: unknown }).kind}" is not a source kind: use GitRepository, OCIRepository, Bucket, HelmRepository or HelmChart`);
  }
}
