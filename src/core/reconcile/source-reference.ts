// SourceReference: how a consumer (Kustomization, HelmRelease) names a source and its resolved artifact.
import type { Artifact, GitRepositorySpec } from "../source/git-types";
import type { ReconcileContext } from "./context";
import { ensureGitArtifact } from "./git-repository";

/** SourceReference is a source's kind, name, spec and the artifact the consumer must use. */
export type SourceReference = { kind: "GitRepository"; name: string; spec: GitRepositorySpec; artifact: Artifact };

/** ensureSourceArtifact returns the local path of the referenced artifact, fetching and verifying it if needed. */
export function ensureSourceArtifact(ref: SourceReference, ctx: ReconcileContext): Promise<string> {
  switch (ref.kind) {
    case "GitRepository":
      return ensureGitArtifact(ref.name, ref.spec, ref.artifact, ctx);
    default:
      throw new Error(`sourceRef.kind "${(ref as { kind: string }).kind}" is not supported; use GitRepository`);
  }
}
