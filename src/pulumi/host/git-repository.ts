// GitRepository's provider-side code: check resolves the revision (one ls-remote) and packs the artifact
// when it changed; create and update make sure the store holds exactly that artifact.
import { ensureGitArtifact, planGitRepository, validateGitRepository } from "../../core/reconcile/git-repository";
import type { Artifact, GitRepositorySpec } from "../../core/source/git-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function gitSpec(p: Props): GitRepositorySpec {
  return { url: p.url, ref: p.ref, auth: p.auth, timeout: p.timeout, ignore: p.ignore };
}

const GIT_FIELDS = ["url", "ref", "auth", "timeout", "ignore", "artifact"];

/** gitRepository implements the GitRepository dynamic provider. */
export const gitRepository = {
  async check(olds: Props, news: Props) {
    const failures = validateGitRepository(gitSpec(news)).map((f) => ({ property: f.property, reason: `GitRepository "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const previous = olds?.artifact ? { artifact: olds.artifact as Artifact, observedUrl: olds.url, observedIgnore: olds.ignore } : undefined;
      const { artifact } = await planGitRepository(news.name, gitSpec(news), previous, context());
      return { inputs: { ...news, artifact } };
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
