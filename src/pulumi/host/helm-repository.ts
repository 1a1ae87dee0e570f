// HelmRepository's provider-side code: check fetches index.yaml and stores the index when its digest
// changed; create and update make sure the store holds exactly that index.
import { ensureHelmRepositoryArtifact, planHelmRepository, validateHelmRepository } from "../../core/reconcile/helm-repository";
import type { HelmRepositorySpec } from "../../core/source/helm-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function helmRepositorySpec(p: Props): HelmRepositorySpec {
  return { url: p.url, type: p.type, auth: p.auth, passCredentials: p.passCredentials, tls: p.tls, insecure: p.insecure, timeout: p.timeout };
}

const FIELDS = ["url", "type", "auth", "passCredentials", "tls", "insecure", "timeout", "artifact"];

/** helmRepository implements the HelmRepository dynamic provider. */
export const helmRepository = {
  async check(olds: Props, news: Props) {
    const failures = validateHelmRepository(helmRepositorySpec(news)).map((f) => ({ property: f.property, reason: `HelmRepository "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const previous = olds?.artifact ? { artifact: olds.artifact, observedUrl: olds.url } : undefined;
      const { artifact } = await planHelmRepository(news.name, helmRepositorySpec(news), previous, context());
      return { inputs: { ...news, artifact } };
    } catch (err) {
      rethrow("HelmRepository", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    return { changes: changedFields(olds, news, FIELDS).length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    if (inputs.artifact) await ensureHelmRepositoryArtifact(inputs.name, helmRepositorySpec(inputs), inputs.artifact, context()).catch((err) => rethrow("HelmRepository", inputs.name, err));
    return { id: `HelmRepository/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    if (news.artifact) await ensureHelmRepositoryArtifact(news.name, helmRepositorySpec(news), news.artifact, context()).catch((err) => rethrow("HelmRepository", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};
