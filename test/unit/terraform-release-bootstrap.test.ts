// fluxiac_helm_release and fluxiac_bootstrap_git without a cluster: how attributes become the engine spec,
// which attributes are sensitive, and validation diagnostics on their attribute paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UNKNOWN, type CtyObject } from "../../src/terraform/cty";
import { nullObject, type Attr, type Attributes } from "../../src/terraform/schema";
import { resourceTypes } from "../../src/terraform/resources";
import { specOf } from "../../src/terraform/resources/helm-release";

const byType = Object.fromEntries(resourceTypes.map((t) => [t.typeName, t]));
const hr = byType.fluxiac_helm_release;
const boot = byType.fluxiac_bootstrap_git;
/** inner are a nested attribute's attributes. */
const inner = (a: Attr): Attributes => ("attributes" in a ? a.attributes : {});
const SOURCE = JSON.stringify({ kind: "HelmRepository", name: "charts", spec: { url: "https://charts.example.com" }, artifact: null });

const release = (extra: CtyObject = {}): CtyObject => ({
  ...nullObject(hr.attributes),
  name: "web",
  chart: { spec: { ...nullObject(inner(inner(hr.attributes.chart).spec)), chart: "app", version: "1.0.0", source_ref: SOURCE } },
  ...extra,
});
const diagnostics = (d: ReturnType<typeof hr.validate>) => d.map((x) => [x.summary, x.attribute?.steps.map((s) => ("attribute_name" in s ? s.attribute_name : s)).join(".")]);

test("credentials, the chart's source and the deploy key's private part are sensitive", () => {
  for (const name of ["kubeconfig", "chart_ref"]) assert.ok(hr.attributes[name].sensitive, `fluxiac_helm_release.${name}`);
  assert.ok(inner(inner(hr.attributes.chart).spec).source_ref.sensitive, "chart.spec.source_ref");
  for (const name of ["auth", "tls", "signing", "kubeconfig", "components", "deploy_key_private"]) assert.ok(boot.attributes[name].sensitive, `fluxiac_bootstrap_git.${name}`);
  assert.equal(boot.attributes.deploy_key_public.sensitive, undefined);
});

test("the HelmRelease spec: values parsed from JSON, source references parsed, Flux's disableOpenAPIValidation, the provider's cluster", () => {
  const spec = specOf(
    release({
      values: JSON.stringify({ color: "green", nested: { a: [1, 2] } }),
      install: { ...nullObject(inner(hr.attributes.install)), disable_open_api_validation: true, create_namespace: true },
      dependencies: [JSON.stringify({ kind: "HelmRelease", name: "db" })],
    }),
    { cluster: { kubeconfig: "apiVersion: v1", context: "prod" } },
  );
  assert.deepEqual(spec.values, { color: "green", nested: { a: [1, 2] } });
  assert.deepEqual(spec.chart?.spec.sourceRef, JSON.parse(SOURCE));
  assert.deepEqual(spec.install, { disableOpenAPIValidation: true, createNamespace: true });
  assert.deepEqual(spec.dependsOn, [{ kind: "HelmRelease", name: "db" }]);
  assert.deepEqual(spec.cluster, { kubeconfig: "apiVersion: v1", context: "prod" });
});

test("the HelmRelease spec: strategies, ownership and schema switches, chart renames and healthCheckExprs in Flux's names", () => {
  const upgradeAttrs = inner(hr.attributes.upgrade);
  const spec = specOf(
    release({
      upgrade: {
        ...nullObject(upgradeAttrs),
        disable_schema_validation: true,
        disable_take_ownership: true,
        strategy: { ...nullObject(inner(upgradeAttrs.strategy)), name: "RetryOnFailure", retry_interval: "2m" },
        chart_name_change_strategy: "InPlaceUpdate",
      },
      health_check_exprs: [{ api_version: "example.com/v1", kind: "Widget", current: "status.ready", in_progress: null, failed: "status.broken" }],
      post_render_strategy: "nohooks",
      wait_strategy: { name: "legacy" },
    }),
    { cluster: undefined },
  );
  assert.deepEqual(spec.upgrade, { disableSchemaValidation: true, disableTakeOwnership: true, strategy: { name: "RetryOnFailure", retryInterval: "2m" }, chartNameChangeStrategy: "InPlaceUpdate" });
  assert.deepEqual(spec.healthCheckExprs, [{ apiVersion: "example.com/v1", kind: "Widget", current: "status.ready", failed: "status.broken" }]);
  assert.deepEqual([spec.postRenderStrategy, spec.waitStrategy], ["nohooks", { name: "legacy" }]);
});

test("HelmRelease validation names the attribute of each problem", () => {
  const cases: [CtyObject, [string, string][]][] = [
    [{ values: "not json" }, [['HelmRelease "web": values is not JSON (Unexpected token \'o\', "not json" is not valid JSON): write values = jsonencode({...})', "values"]]],
    [{ values: "[1]" }, [['HelmRelease "web": values must be a JSON object of chart values: values = jsonencode({...})', "values"]]],
    [{ drift_detection: { mode: "sometimes", ignore: null } }, [['HelmRelease "web": driftDetection.mode "sometimes" must be one of enabled, warn, disabled', "drift_detection.mode"]]],
    [{ max_history: -1 }, [['HelmRelease "web": maxHistory -1 must be a whole number >= 0', "max_history"]]],
    [{ chart: null }, [['HelmRelease "web": set chart (chart.spec.source_ref) or chart_ref', "chart"]]],
    [{ chart_ref: SOURCE }, [['HelmRelease "web": chart and chart_ref are exclusive: set one', "chart_ref"]]],
  ];
  for (const [extra, expected] of cases) assert.deepEqual(diagnostics(hr.validate(release(extra))), expected, JSON.stringify(extra));
  assert.deepEqual(hr.validate(release({ values: UNKNOWN, max_history: -1 })), [], "a configuration with unknown values is checked at plan time");
});

test("BootstrapGit validation names the attribute of each problem", () => {
  const base = { ...nullObject(boot.attributes), name: "flux-system", url: "https://git.example.com/fleet.git", path: "clusters/prod" };
  const cases: [CtyObject, [string, string][]][] = [
    [{ path: "../escape" }, [['BootstrapGit "flux-system": path "../escape" must stay inside the repository', "path"]]],
    [{ mode: "magic" }, [['BootstrapGit "flux-system": mode "magic" is not valid: use "fluxiac" or "controllers"', "mode"]]],
    [{ generate_deploy_key: { algorithm: null } }, [['BootstrapGit "flux-system": a deploy key is an SSH key: use an ssh:// URL, or drop generateDeployKey', "generate_deploy_key"]]],
    [{ url: "ssh://git@git.example.com/fleet.git" }, [['BootstrapGit "flux-system": an SSH repository needs auth.knownHosts (ssh-keyscan prints it), or scanKnownHosts: true to trust the key the server presents', "auth.known_hosts"]]],
    [{ url: "ssh://git@git.example.com/fleet.git", scan_known_hosts: true }, []],
    [{ secret_name: "Git_Creds" }, [['BootstrapGit "flux-system": secretName "Git_Creds" is not a valid Secret name: use lowercase letters, digits, "-" and "."', "secret_name"]]],
    [{ kustomization_override: "kind: Kustomization\nresources: []\n" }, [['BootstrapGit "flux-system": kustomizationOverride must list gotk-sync.yaml in resources, or Flux\'s controllers lose their own sync objects', "kustomization_override"]]],
    [{ kustomization_override: "resources:\n- ./gotk-sync.yaml\n", secret_name: "git-creds", commit_message_appendix: "Signed-off-by: a" }, []],
  ];
  for (const [extra, expected] of cases) assert.deepEqual(diagnostics(boot.validate({ ...base, ...extra })), expected, JSON.stringify(extra));
  assert.deepEqual(boot.validate({ ...base, path: UNKNOWN }), [], "a path not known yet is checked at plan time");
});
