// OCIRepository's provider-side code: the shared source provider, resolving with one manifest request
// (plus the tag list for semver) and pulling only when the manifest or the settings changed.
import { ensureOCIArtifact, planOCIRepository, validateOCIRepository } from "../../core/reconcile/oci-repository";
import type { OCIRepositorySpec } from "../../core/source/oci-types";
import { pick, sourceProvider } from "./source";

const SPEC = ["url", "ref", "layerSelector", "provider", "auth", "tls", "insecure", "timeout", "ignore"] as const;

/** ociRepository implements the OCIRepository dynamic provider. */
export const ociRepository = sourceProvider<OCIRepositorySpec>({
  kind: "OCIRepository",
  spec: (p) => pick(p, SPEC),
  validate: validateOCIRepository,
  async plan(name, spec, olds, ctx) {
    const previous = olds && { artifact: olds.artifact, observedUrl: olds.url, observedIgnore: olds.ignore, observedLayerSelector: olds.layerSelector };
    const { artifact } = await planOCIRepository(name, spec, previous, ctx);
    return { artifact };
  },
  ensure: ensureOCIArtifact,
  fields: [...SPEC, "artifact"],
});
