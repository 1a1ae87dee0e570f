// GitRepository's provider-side code: the shared source provider, resolving with one ls-remote and
// fetching only when the revision or the settings changed.
import { ensureGitArtifact, gitRepositoryStatus, planGitRepository, validateGitRepository } from "../../core/reconcile/git-repository";
import type { GitRepositorySpec } from "../../core/source/git-types";
import { pick, sourceProvider } from "./source";

const SPEC = ["url", "ref", "auth", "tls", "timeout", "ignore", "recurseSubmodules", "include", "verify"] as const;

/** gitRepository implements the GitRepository dynamic provider. */
export const gitRepository = sourceProvider<GitRepositorySpec>({
  kind: "GitRepository",
  spec: (p) => pick(p, SPEC),
  validate: validateGitRepository,
  async plan(name, spec, olds, ctx) {
    // The previous checked inputs are the previous spec plus what it produced: together, the status.
    const previous = olds && gitRepositoryStatus(pick(olds, SPEC), { artifact: olds.artifact, includedArtifacts: olds.includedArtifacts ?? [], sourceVerificationMode: olds.sourceVerificationMode });
    const { artifact, includedArtifacts, sourceVerificationMode } = await planGitRepository(name, spec, previous, ctx);
    return { artifact, includedArtifacts, sourceVerificationMode: sourceVerificationMode ?? null };
  },
  ensure: ensureGitArtifact,
  fields: [...SPEC, "artifact", "includedArtifacts", "sourceVerificationMode"],
});
