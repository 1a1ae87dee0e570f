// GitRepository's provider-side code: check resolves the revision (one ls-remote) and packs the artifact
// when it or the settings changed; create and update make sure the store holds exactly that artifact.
import { ensureGitArtifact, gitRepositoryStatus, planGitRepository, validateGitRepository } from "../../core/reconcile/git-repository";
import type { GitRepositorySpec } from "../../core/source/git-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function gitSpec(p: Props): GitRepositorySpec {
  return {
    url: p.url,
    ref: p.ref,
    auth: p.auth,
    tls: p.tls,
    timeout: p.timeout,
    ignore: p.ignore,
    recurseSubmodules: p.recurseSubmodules,
    include: p.include,
    verify: p.verify,
  };
}

const GIT_FIELDS = ["url", "ref", "auth", "tls", "timeout", "ignore", "recurseSubmodules", "include", "verify", "artifact", "includedArtifacts", "sourceVerificationMode"];

/** gitRepository implements the GitRepository dynamic provider. */
export const gitRepository = {
  async check(olds: Props, news: Props) {
    const failures = validateGitRepository(gitSpec(news)).map((f) => ({ property: f.property, reason: `GitRepository "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      // The previous checked inputs are the previous spec plus what it produced: together, the status.
      const previous = olds?.artifact
        ? gitRepositoryStatus(gitSpec(olds), { artifact: olds.artifact, includedArtifacts: olds.includedArtifacts ?? [], sourceVerificationMode: olds.sourceVerificationMode })
        : undefined;
      const { artifact, includedArtifacts, sourceVerificationMode } = await planGitRepository(news.name, gitSpec(news), previous, context());
      return { inputs: { ...news, artifact, includedArtifacts, sourceVerificationMode: sourceVerificationMode ?? null } };
    } catch (err) {
      rethrow("GitRepository", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    const changed = changedFields(olds, news, GIT_FIELDS);
    return { changes: changed.length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    await ensureGitArtifact(inputs.name, gitSpec(inputs), inputs.artifact, context()).catch((err) => rethrow("GitRepository", inputs.name, err));
    return { id: `GitRepository/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    await ensureGitArtifact(news.name, gitSpec(news), news.artifact, context()).catch((err) => rethrow("GitRepository", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};
