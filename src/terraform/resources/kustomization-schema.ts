// fluxiac_kustomization's attributes: Flux's Kustomization fields in snake_case, and what plan and apply
// record (plan, inventory, last_applied_revision, drift).
import { clusterAccessAttributes, commonMetadataAttr, healthCheckExprsAttr, patchesAttr, selectorAttr } from "./common";
import { bool, computedObject, obj, objList, str, strList, strMap, type Attributes } from "../schema";

/** specAttributes are the configured fields, the engine's KustomizationSpec in snake_case. */
export const specAttributes: Attributes = {
  source_ref: str("The source's source_reference (fluxiac_git_repository.x.source_reference): its spec and artifact.", { required: true, sensitive: true }),
  path: str('Path of the overlay inside the artifact. Default "./".'),
  prune: bool("Delete objects that left the build, and everything on destroy. Required, as in Flux.", { required: true }),
  force: bool("Recreate objects whose change touches an immutable field. Default false."),
  ignore: objList("Paths (JSON pointers) left out of drift detection and adopted from the cluster, for the objects target selects.", {
    paths: strList('JSON pointers such as "/spec/replicas".', { required: true }),
    target: selectorAttr,
  }),
  deletion_policy: str('What destroy deletes: "MirrorPrune" (default), "Delete", "WaitForTermination" or "Orphan".'),
  namespace: str('Namespace written into the ownership labels. Default "flux-system". Changing it replaces the resource.', { optional: true, replace: true }),
  ...clusterAccessAttributes("Apply"),
  wait: bool("Wait for every applied object to be healthy; overrides health_checks. Default false."),
  health_checks: objList("Objects whose health is checked after apply when wait is off.", {
    api_version: str("API version.", { required: true }),
    kind: str("Kind.", { required: true }),
    name: str("Name.", { required: true }),
    namespace: str("Namespace; omit for cluster-scoped kinds."),
  }),
  health_check_exprs: healthCheckExprsAttr,
  timeout: str('How long health checks and WaitForTermination wait. Default "5m".'),
  dependencies: strList(
    "Kustomizations applied first (Flux's dependsOn): each one's `dependency` attribute. This one applies only once they are ready; add them to depends_on too if you want Terraform to order unrelated changes.",
  ),
  ready_expr: str("CEL over dep and self that replaces the readiness check of dependencies."),
  suspend: bool("Plan and apply nothing, keeping the previous inventory. Default false."),
  target_namespace: str("Namespace for every namespaced object."),
  name_prefix: str("Prefix added to every object's name."),
  name_suffix: str("Suffix added to every object's name."),
  common_metadata: commonMetadataAttr,
  patches: patchesAttr,
  images: objList("Image overrides.", {
    name: str("The image name as in the manifests.", { required: true }),
    new_name: str("New name."),
    new_tag: str("New tag."),
    digest: str("Digest."),
  }),
  components: strList("Component directories, relative to path."),
  ignore_missing_components: bool("Skip components that do not exist. Default false."),
  post_build: obj("Variable substitution after the build.", {
    substitute: strMap("Variables set inline; they win over substitute_from."),
    substitute_from: objList("ConfigMaps and Secrets in namespace whose data are variables, read in order.", {
      kind: str('"ConfigMap" or "Secret".', { required: true }),
      name: str("Name.", { required: true }),
      optional: bool("A missing object counts as empty. Default false."),
    }),
    substitute_strategy: str('"WithVariables" (default) or "Always".'),
  }),
  decryption: obj(
    "SOPS decryption with age and PGP keys.",
    {
      provider: str('"sops".', { required: true }),
      keys: strList("Age private keys, or ASCII-armoured PGP private keys without a passphrase."),
      secret_ref: obj("A Secret of *.agekey (age) and *.asc (PGP) entries, in namespace.", { name: str("Secret name.", { required: true }) }),
    },
    { optional: true, sensitive: true },
  ),
  allow_remote_bases: bool("Allow remote bases. Default false."),
};

const ids = ["list", "string"] as const;

/** attributes are every fluxiac_kustomization attribute. */
export const attributes: Attributes = {
  name: str("The Kustomization's name, written into the ownership labels. Changing it replaces the resource.", { required: true, replace: true }),
  ...specAttributes,
  id: str("<namespace>/<name>, also the import id.", { computed: true }),
  plan: computedObject("What the plan found to change: the revision and the objects (Kind/namespace/name) to create, update, prune, and correct (drifted).", {
    revision: "string",
    create: [...ids],
    update: [...ids],
    prune: [...ids],
    drifted: [...ids],
  }),
  last_applied_revision: str("The source revision of the last successful apply.", { computed: true }),
  inventory: strList("The applied objects, as Flux's inventory ids (<namespace>_<name>_<group>_<kind>).", { computed: true }),
  health: computedObject("The result of the last health check (wait, health_checks): status Current, InProgress or Failed, a message, and how many objects were checked.", {
    status: "string",
    message: "string",
    checked: "number",
  }),
  dependency: str("What a Kustomization that depends on this one takes in dependencies: the JSON of its name, source revision, last applied revision, health and suspend.", { computed: true }),
  drift: strList("Objects changed in the cluster since the last apply (Kind/namespace/name), found by the refresh; the next apply corrects them.", { computed: true }),
};
