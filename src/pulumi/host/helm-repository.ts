// HelmRepository's provider-side code: the shared source provider, fetching index.yaml and storing the
// index when its digest changed. An OCI repository has no artifact, as in Flux.
import { ensureHelmRepositoryArtifact, planHelmRepository, validateHelmRepository } from "../../core/reconcile/helm-repository";
import type { HelmRepositorySpec } from "../../core/source/helm-types";
import { pick, sourceProvider } from "./source";

const SPEC = ["url", "type", "auth", "passCredentials", "tls", "insecure", "timeout"] as const;

/** helmRepository implements the HelmRepository dynamic provider. */
export const helmRepository = sourceProvider<HelmRepositorySpec>({
  kind: "HelmRepository",
  spec: (p) => pick(p, SPEC),
  validate: validateHelmRepository,
  async plan(name, spec, olds, ctx) {
    const { artifact } = await planHelmRepository(name, spec, olds && { artifact: olds.artifact, observedUrl: olds.url }, ctx);
    // An OCI repository has no artifact; Pulumi's wire format takes null, not undefined.
    return { artifact: artifact ?? null };
  },
  ensure: ensureHelmRepositoryArtifact,
  fields: [...SPEC, "artifact"],
});
