// fluxiac_helm_release with chart_ref to a fluxiac_oci_repository, end to end: real terraform 1.11, a
// real OCI registry holding the chart, a real API server and the real helm CLI. Apply installs, a pushed
// matching version shows in the plan and applies, destroy uninstalls.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { pushChart } from "../harness/helm-repo";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-chartref-test-"));

const NS = "oci";
const RELEASE = `${NS}-web`;
const SOURCE = "fluxiac_oci_repository.web";
const ADDRESS = "fluxiac_helm_release.web";

function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}: ${JSON.stringify(plan.resource_changes?.map((r) => r.address))}`);
  return c.change;
}

describe("fluxiac_helm_release with chart_ref under terraform", () => {
  let cp: ControlPlane;
  let registry: OCIRegistry;
  let tf: TerraformWorkspace;

  const push = (version: string) => pushChart({ ...appChart(version), name: "web" }, { url: registry.url("charts"), insecure: true }, scratch);
  const history = async () => (await helmHistory(cp.kubeconfigPath, RELEASE, NS)).map((h) => [h.revision, h.status, h.chart]);
  const stateOf = async (address: string) => (await tf.stateJson()).values?.root_module?.resources?.find((r) => r.address === address)?.values;
  const noChanges = async (when: string) => {
    const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(r.code, 0, `no changes ${when}:\n${r.stdout}${r.stderr}`);
  };

  before(async () => {
    [cp, registry] = await Promise.all([startControlPlane(), startOCIRegistry({ parent: scratch })]);
    await push("0.1.0");
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig({
      terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
      provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
      resource: {
        fluxiac_oci_repository: {
          web: {
            name: "web",
            url: `${registry.url("charts")}/web`,
            insecure: true,
            ref: { semver: "0.x" },
            layer_selector: { media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
          },
        },
        fluxiac_helm_release: {
          web: { name: "web", namespace: "default", target_namespace: NS, chart_ref: `\${${SOURCE}.source_reference}`, install: { create_namespace: true } },
        },
      },
    });
    await tf.must("init", "-input=false", "-no-color");
  });

  after(async () => {
    await Promise.all([cp?.stop(), registry?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the first plan resolves the chart from the OCIRepository; apply installs it", async () => {
    // Given chart web 0.1.0 in the registry
    // When terraform plans
    const plan = await tf.planJson();
    // Then the OCIRepository's artifact and the release's chart version are known at plan time
    const source = change(plan, SOURCE);
    assert.deepEqual(source.actions, ["create"]);
    assert.match((source.after?.artifact as { revision: string }).revision, /^0\.1\.0@sha256:[0-9a-f]{64}$/);
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["create"]);
    const summary = hr.after?.plan as Record<string, unknown>;
    assert.deepEqual([summary.action, summary.chart, summary.chart_version], ["install", "web", "0.1.0"]);
    assert.equal(hr.after?.chart_version, "0.1.0");
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), [], "plan installed nothing");

    // When it applies the plan
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    // Then the release is installed from the registry's chart, and a second plan finds nothing to do
    assert.deepEqual(await history(), [[1, "deployed", "web-0.1.0"]]);
    const state = await stateOf(ADDRESS);
    assert.deepEqual([state?.revision, state?.status, state?.chart_version], [1, "deployed", "0.1.0"]);
    await noChanges("right after install");
  });

  test("a pushed matching version shows in the plan as an upgrade; apply upgrades", async () => {
    // Given web 0.2.0 pushed to the registry
    await push("0.2.0");
    // When terraform plans
    const human = await tf.must("plan", "-input=false", "-no-color");
    assert.match(human, /chart_version\s+= "0\.1\.0" -> "0\.2\.0"/, `the plan shows the chart version change:\n${human}`);
    const plan = await tf.planJson();
    // Then the source moves to 0.2.0 and the release plans an upgrade to it
    const source = change(plan, SOURCE);
    assert.deepEqual(source.actions, ["update"]);
    assert.match((source.after?.artifact as { revision: string }).revision, /^0\.2\.0@sha256:/);
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["update"]);
    const summary = hr.after?.plan as Record<string, unknown>;
    assert.deepEqual([summary.action, summary.reason, summary.chart_version], ["upgrade", "chart web-0.1.0 → web-0.2.0", "0.2.0"]);
    assert.deepEqual(await history(), [[1, "deployed", "web-0.1.0"]], "plan changed nothing");

    // When it applies the plan
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    // Then the release is upgraded and the state follows
    assert.deepEqual(await history(), [
      [1, "superseded", "web-0.1.0"],
      [2, "deployed", "web-0.2.0"],
    ]);
    assert.deepEqual([(await stateOf(ADDRESS))?.revision, (await stateOf(ADDRESS))?.chart_version], [2, "0.2.0"]);
    await noChanges("after the upgrade");
  });

  test("destroy uninstalls the release", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
  });
});
