// OCIRepository's provider-side code: check resolves the ref (one manifest request) and pulls the
// artifact when the manifest or the settings changed; create and update make sure the store holds it.
import { ensureOCIArtifact, planOCIRepository, validateOCIRepository, type OCIRepositoryStatus } from "../../core/reconcile/oci-repository";
import type { OCIRepositorySpec } from "../../core/source/oci-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function ociSpec(p: Props): OCIRepositorySpec {
  return {
    url: p.url, ref: p.ref, layerSelector: p.layerSelector, provider: p.provider, auth: p.auth,
    tls: p.tls, insecure: p.insecure, timeout: p.timeout, ignore: p.ignore,
  };
}

const OCI_FIELDS = ["url", "ref", "layerSelector", "provider", "auth", "tls", "insecure", "timeout", "ignore", "artifact"];

function previousStatus(olds: Props | undefined): OCIRepositoryStatus | undefined {
  if (!olds?.artifact) return undefined;
  return { artifact: olds.artifact, observedUrl: olds.url, observedIgnore: olds.ignore, observedLayerSelector: olds.layerSelector };
}

/** ociRepository implements the OCIRepository dynamic provider. */
export const ociRepository = {
  async check(olds: Props, news: Props) {
    const failures = validateOCIRepository(ociSpec(news)).map((f) => ({ property: f.property, reason: `OCIRepository "${news.name}": ${f.reason}` }));
    if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
    try {
      const { artifact } = await planOCIRepository(news.name, ociSpec(news), previousStatus(olds), context());
      return { inputs: { ...news, artifact } };
    } catch (err) {
      rethrow("OCIRepository", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    const changed = changedFields(olds, news, OCI_FIELDS);
    return { changes: changed.length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    await ensureOCIArtifact(inputs.name, ociSpec(inputs), inputs.artifact, context()).catch((err) => rethrow("OCIRepository", inputs.name, err));
    return { id: `OCIRepository/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    await ensureOCIArtifact(news.name, ociSpec(news), news.artifact, context()).catch((err) => rethrow("OCIRepository", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};
