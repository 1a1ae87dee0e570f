// fluxiac_oci_repository: Flux's OCIRepository, resolved with one manifest request at plan time and
// pulled only when the manifest or the settings changed.
import type { OCIRepositorySpec } from "../../core/source/oci-types";
import { bool, obj, str } from "../schema";
import { tlsAttr } from "./common";
import { sourceResource } from "./source";

/** ociRepository is the fluxiac_oci_repository resource type. */
export const ociRepository = sourceResource<OCIRepositorySpec>({
  typeName: "fluxiac_oci_repository",
  kind: "OCIRepository",
  description: "Flux's OCIRepository",
  renamed: { provider: "cloudProvider" },
  specAttributes: {
    url: str("oci://<host>[:port]/<repository>.", { required: true }),
    ref: obj("What to pull; precedence digest > semver > tag. Default: tag latest.", {
      tag: str("Tag to pull."),
      semver: str("Semver range; the highest matching tag wins."),
      semver_filter: str("Regular expression the tags must match before semver selection."),
      digest: str("Exact manifest digest, sha256:<hex>."),
    }),
    layer_selector: obj("The layer that holds the content.", {
      media_type: str("Media type of the layer. Default: the first layer."),
      operation: str('"extract" (default) untars the layer; "copy" stores it as it is.'),
    }),
    cloud_provider: str('Flux\'s provider: "generic" only for now. Default "generic".'),
    auth: obj(
      "Registry credentials: a Docker config.json, or username/password.",
      { docker_config_json: str("Content of a Docker config.json."), username: str("Registry username."), password: str("Registry password.") },
      { optional: true, sensitive: true },
    ),
    tls: tlsAttr,
    insecure: bool("Plain HTTP to the registry. Default false."),
    timeout: str('Timeout of registry operations. Default "60s".'),
    ignore: str("Extra .sourceignore patterns applied when extracting."),
  },
  engine() {
    const e: typeof import("../../core/reconcile/oci-repository") = require("../../core/reconcile/oci-repository");
    return {
      validate: e.validateOCIRepository,
      async plan(name, spec, previous, ctx) {
        const status = previous && { artifact: previous.artifact, observedUrl: previous.spec.url, observedIgnore: previous.spec.ignore, observedLayerSelector: previous.spec.layerSelector };
        return (await e.planOCIRepository(name, spec, status, ctx)).artifact;
      },
      ensure: e.ensureOCIArtifact,
    };
  },
});
