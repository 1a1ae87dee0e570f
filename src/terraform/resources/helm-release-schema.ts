// fluxiac_helm_release's attributes: Flux's HelmRelease fields in snake_case (the Pulumi HelmRelease
// arguments), and what plan and apply record (plan, chart_version, values_digest, revision, status, drift).
import { clusterAccessAttributes, commonMetadataAttr, healthCheckExprsAttr, patchesAttr, selectorAttr } from "./common";
import { bool, computedObject, num, obj, objList, str, strList, type Attributes } from "../schema";

const actionCommon = {
  timeout: str("Action timeout. Default: timeout."),
  disable_wait: bool("Do not wait for resources to be ready. Default false."),
  disable_wait_for_jobs: bool("Do not wait for Jobs to complete. Default false."),
  disable_hooks: bool("Do not run hooks. Default false."),
};

/** releaseAction are the fields install and upgrade share beyond actionCommon. */
const releaseAction = {
  disable_open_api_validation: bool("Skip OpenAPI validation. Default false."),
  disable_schema_validation: bool("Skip validating the values against the chart's values.schema.json. Default false."),
  disable_take_ownership: bool("Do not take ownership of existing objects Helm does not own (Flux takes them). Default false."),
  strategy: obj("What a failed action does.", {
    name: str('"RemediateOnFailure" (default: remediate as remediation says) or "RetryOnFailure" (leave the release failed; the next apply retries).', { required: true }),
    retry_interval: str('Flux\'s wait between retries; accepted, unused: the next apply is the retry. Default "5m".'),
  }),
};

const remediation = {
  retries: num("Retries after a remediation; negative retries forever (capped at 10). Default 0."),
  ignore_test_failures: bool("Test failures do not fail the release. Default: test.ignore_failures."),
  remediate_last_failure: bool("Remediate the last failure too. Default true when retries > 0."),
};

/** specAttributes are the configured fields, the engine's HelmReleaseSpec in snake_case. */
export const specAttributes: Attributes = {
  chart: obj("The chart from a HelmRepository (HTTP or OCI), GitRepository or Bucket (Flux's spec.chart). Exclusive with chart_ref.", {
    spec: obj(
      "The HelmChart made for the release.",
      {
        chart: str("The chart's name in a HelmRepository, or its directory inside a GitRepository or Bucket artifact.", { required: true }),
        version: str('Exact version or semver range; HelmRepository only. Default "*" (latest stable).'),
        source_ref: str("The source's source_reference (fluxiac_helm_repository.x.source_reference).", { required: true, sensitive: true }),
        reconcile_strategy: str('"ChartVersion" (default) or "Revision".'),
        values_files: strList("Values files inside the chart, merged in order over values.yaml."),
        ignore_missing_values_files: bool("Skip values files that do not exist. Default false."),
      },
      { required: true },
    ),
  }),
  chart_ref: str("An OCIRepository's source_reference holding the chart. Exclusive with chart.", { optional: true, sensitive: true }),
  release_name: str("Helm release name. Default [<target_namespace>-]<name>, shortened to 53 characters as Flux does."),
  target_namespace: str("Namespace of the release and its objects. Default: namespace."),
  storage_namespace: str("Helm's storage namespace; must equal target_namespace. Default: target_namespace."),
  namespace: str('The HelmRelease\'s own namespace: valuesFrom objects and origin labels. Default "flux-system". Changing it replaces the resource.', { optional: true, replace: true }),
  ...clusterAccessAttributes("Release"),
  timeout: str('Timeout of every Helm action. Default "5m".'),
  max_history: num("Release versions Helm keeps; 0 keeps all. Default 5."),
  values: str("Chart values as JSON (values = jsonencode({...})), merged last over values_from. Terraform shows a change key by key."),
  values_from: objList("ConfigMaps and Secrets in namespace holding values, merged in order.", {
    kind: str('"ConfigMap" or "Secret".', { required: true }),
    name: str("Name.", { required: true }),
    values_key: str('Key holding the values. Default "values.yaml".'),
    target_path: str("Helm --set path where the key's whole content goes. Default: merged at the root as YAML."),
    optional: bool("A missing object or key is skipped. Default false."),
    literal: bool("With target_path: keep the value a string. Default false."),
  }),
  drift_detection: obj("Drift detection: mode enabled (correct), warn (report) or disabled (default), with ignore rules.", {
    mode: str('"enabled", "warn" or "disabled".'),
    ignore: objList("Paths (JSON pointers) left out of the comparison.", { paths: strList("JSON pointers.", { required: true }), target: selectorAttr }),
  }),
  install: obj("Flux's spec.install.", {
    ...actionCommon,
    ...releaseAction,
    remediation: obj("What a failed install does.", remediation),
    replace: bool("Re-use the name of a deleted release still in history. Default false."),
    crds: str('"Skip", "Create" (default) or "CreateReplace".'),
    create_namespace: bool("Create target_namespace when missing. Default false."),
  }),
  upgrade: obj("Flux's spec.upgrade.", {
    ...actionCommon,
    ...releaseAction,
    remediation: obj("What a failed upgrade does.", { ...remediation, strategy: str('"rollback" (default) or "uninstall".') }),
    chart_name_change_strategy: str('What a change of the chart\'s name does: "Reinstall" (default: uninstall, then install) or "InPlaceUpdate" (upgrade).'),
    force: bool("Replace objects that cannot be patched. Default false."),
    preserve_values: bool("Re-use the release's last values. Default false."),
    cleanup_on_fail: bool("Delete objects a failed upgrade created. Default false."),
    crds: str('"Skip" (default), "Create" or "CreateReplace".'),
  }),
  test: obj("Flux's spec.test: helm test after every install and upgrade.", {
    enable: bool("Run the tests. Default false."),
    timeout: str("Test timeout. Default: timeout."),
    ignore_failures: bool("A failing test does not fail the release. Default false."),
    filters: objList("Tests to run or skip, by name.", { name: str("Test name.", { required: true }), exclude: bool("Skip it. Default false.") }),
  }),
  rollback: obj("Flux's spec.rollback.", { ...actionCommon, force: bool("Force. Default false."), recreate: bool("Restart pods. Default false."), cleanup_on_fail: bool("Default false.") }),
  uninstall: obj("Flux's spec.uninstall: what destroy does.", {
    timeout: str("Uninstall timeout. Default: timeout."),
    disable_hooks: bool("Do not run hooks. Default false."),
    keep_history: bool("Keep the release's history. Default false."),
    disable_wait: bool("Do not wait for deletion. Default false."),
    deletion_propagation: str('"background" (default), "foreground" or "orphan".'),
  }),
  post_renderers: objList("Kustomize patches and images applied to the rendered chart, in order.", {
    kustomize: obj("A kustomize step.", {
      patches: patchesAttr,
      images: objList("Image overrides.", { name: str("Image name.", { required: true }), new_name: str("New name."), new_tag: str("New tag."), digest: str("Digest.") }),
    }),
  }),
  common_metadata: commonMetadataAttr,
  health_check_exprs: healthCheckExprsAttr,
  post_render_strategy: str('Which rendered objects the post-renderers see: only "nohooks" (the chart\'s objects, not its hooks; the helm 3 CLI\'s way). Default "nohooks".'),
  wait_strategy: obj("How actions wait: only name \"legacy\" (helm 3's --wait).", { name: str('"legacy".', { required: true }) }),
  dependencies: strList("HelmReleases (or Kustomizations) deployed first (Flux's dependsOn): each one's `dependency` attribute."),
  ready_expr: str("CEL over dep and self that replaces the readiness check of dependencies."),
  suspend: bool("Plan and apply nothing. Default false."),
};

/** attributes are every fluxiac_helm_release attribute. */
export const attributes: Attributes = {
  name: str("The HelmRelease's name. Changing it replaces the resource.", { required: true, replace: true }),
  ...specAttributes,
  id: str("<namespace>/<name>, also the import id.", { computed: true }),
  plan: computedObject("What the plan found: action (install, upgrade, reinstall, none) and why, the chart and its version, the values digest, drifted objects and the rendered objects by kind.", {
    action: "string",
    reason: "string",
    release: "string",
    chart: "string",
    chart_version: "string",
    values_digest: "string",
    drifted: ["list", "string"],
    objects: ["map", "number"],
  }),
  release: str("<target namespace>/<release name> of the Helm release.", { computed: true }),
  chart_version: str("The chart version of the release.", { computed: true }),
  values_digest: str("sha256 of the release's merged values.", { computed: true }),
  revision: num("The Helm release version (helm history's revision).", { computed: true }),
  status: str("Helm's status of that version: deployed, failed…", { computed: true }),
  dependency: str("What a HelmRelease or Kustomization that depends on this one takes in dependencies.", { computed: true }),
  drift: strList("Objects of the release changed in the cluster (Kind/namespace/name: fields), found by the refresh when drift_detection is on.", { computed: true }),
};
