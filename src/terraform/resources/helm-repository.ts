// fluxiac_helm_repository: Flux's HelmRepository; index.yaml is fetched at plan time and stored when its
// digest changed. An OCI repository has no artifact, as in Flux.
import type { HelmRepositorySpec } from "../../core/source/helm-types";
import { bool, obj, str } from "../schema";
import { tlsAttr } from "./common";
import { sourceResource } from "./source";

/** helmRepository is the fluxiac_helm_repository resource type. */
export const helmRepository = sourceResource<HelmRepositorySpec>({
  typeName: "fluxiac_helm_repository",
  kind: "HelmRepository",
  description: "Flux's HelmRepository",
  specAttributes: {
    url: str("http(s):// URL of a chart repository (with index.yaml), or oci:// for an OCI registry.", { required: true }),
    type: str('"default" or "oci". Default: from the URL\'s scheme.'),
    auth: obj("Repository credentials.", { username: str("Username."), password: str("Password.") }, { optional: true, sensitive: true }),
    pass_credentials: bool("Send the credentials to chart URLs on other hosts. Default false."),
    tls: tlsAttr,
    insecure: bool("Plain HTTP to an OCI registry. Default false."),
    timeout: str('Timeout of index and chart downloads. Default "60s".'),
  },
  engine() {
    const e: typeof import("../../core/reconcile/helm-repository") = require("../../core/reconcile/helm-repository");
    return {
      validate: e.validateHelmRepository,
      async plan(name, spec, previous, ctx) {
        return (await e.planHelmRepository(name, spec, previous && { artifact: previous.artifact, observedUrl: previous.spec.url }, ctx)).artifact;
      },
      ensure: e.ensureHelmRepositoryArtifact,
    };
  },
});
