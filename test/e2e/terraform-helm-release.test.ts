// fluxiac_helm_release end to end: real terraform 1.11, a real chart repository (basic auth), a real API
// server and the real helm CLI. The plan shows a chart version change, a values change and drift; apply
// installs and upgrades; a bad version is a diagnostic on chart.spec.version; import; a failed upgrade is
// recorded as the rollback left it; destroy uninstalls.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { run } from "../harness/proc";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-hr-test-"));

const NS = "shop";
const RELEASE = "shop-web";
const SECRET_VALUE = "t0p-s3cret-value";
const ADDRESS = "fluxiac_helm_release.web";

function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}: ${JSON.stringify(plan.resource_changes?.map((r) => r.address))}`);
  return c.change;
}

describe("fluxiac_helm_release under terraform", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;

  const release = (o: { version?: string; values?: Record<string, unknown>; upgrade?: object; drift?: string } = {}) => ({
    name: "web",
    namespace: "default",
    target_namespace: NS,
    chart: { spec: { chart: "app", version: o.version ?? "1.0.0", source_ref: "${fluxiac_helm_repository.charts.source_reference}" } },
    install: { create_namespace: true },
    values: JSON.stringify(o.values ?? { color: "blue" }),
    values_from: [{ kind: "Secret", name: "web-secret", values_key: "token", target_path: "auth.token" }],
    drift_detection: { mode: o.drift ?? "enabled" },
    ...(o.upgrade ? { upgrade: o.upgrade } : {}),
  });
  const config = (o: Parameters<typeof release>[0] = {}) => ({
    terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
    provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
    resource: {
      fluxiac_helm_repository: { charts: { name: "charts", url: charts.url, auth: { username: charts.username, password: charts.password } } },
      fluxiac_helm_release: { web: release(o) },
    },
  });
  const history = () => helmHistory(cp.kubeconfigPath, RELEASE, NS);
  const configMap = () => core.readNamespacedConfigMap({ name: RELEASE, namespace: NS });
  const stateOf = async () => (await tf.stateJson()).values?.root_module?.resources?.find((r) => r.address === ADDRESS)?.values;
  const noChanges = async (when: string) => {
    const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(r.code, 0, `no changes ${when}:\n${r.stdout}${r.stderr}`);
  };

  before(async () => {
    [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo({ dir: scratch, auth: true })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "web-secret" }, stringData: { token: SECRET_VALUE } } });
    await charts.addChart(appChart("1.0.0"));
    await charts.addChart(appChart("1.1.0"));
    await charts.addChart(appChart("2.0.0", { failingHook: true }));
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig(config());
    await tf.must("init", "-input=false", "-no-color");
  });

  after(async () => {
    await Promise.all([cp?.stop(), charts?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the first plan shows an install of chart 1.0.0 and the objects; apply installs the release", async () => {
    const plan = await tf.planJson();
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["create"]);
    const summary = hr.after?.plan as Record<string, unknown>;
    assert.deepEqual([summary.action, summary.reason, summary.release, summary.chart, summary.chart_version], ["install", "no release exists", `${NS}/${RELEASE}`, "app", "1.0.0"]);
    assert.deepEqual(summary.objects, { ConfigMap: 1 });
    assert.equal(hr.after?.chart_version, "1.0.0", "the chart version is known at plan time");
    assert.match(String(hr.after?.values_digest), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(await history(), [], "plan installed nothing");

    const out = await tf.must("apply", "-input=false", "-no-color", "tfplan");
    const hist = await history();
    assert.deepEqual(hist.map((h) => [h.revision, h.status, h.chart]), [[1, "deployed", "app-1.0.0"]]);
    assert.equal((await configMap()).data?.color, "blue");
    const state = await stateOf();
    assert.deepEqual([state?.revision, state?.status, state?.chart_version, state?.release, state?.id], [1, "deployed", "1.0.0", `${NS}/${RELEASE}`, "default/web"]);
    assert.equal(out.includes(charts.password), false, "terraform's output never shows the repository password");
    await noChanges("right after the install");
  });

  test("a new chart version shows in the plan as a chart_version change; apply upgrades", async () => {
    await tf.writeConfig(config({ version: "1.1.0" }));
    const human = await tf.must("plan", "-input=false", "-no-color");
    assert.match(human, /chart_version\s+= "1\.0\.0" -> "1\.1\.0"/, `the plan shows the chart version change:\n${human}`);
    const plan = await tf.planJson();
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["update"]);
    const summary = hr.after?.plan as Record<string, unknown>;
    assert.deepEqual([summary.action, summary.reason], ["upgrade", "chart app-1.0.0 → app-1.1.0"]);
    assert.deepEqual(summary.objects, { ConfigMap: 1, Service: 1 });
    assert.equal(hr.after_unknown.revision, true, "the new release version is known after apply");
    assert.equal((await configMap()).data?.version, "1.0.0", "plan changed nothing");
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.deepEqual((await history()).map((h) => [h.revision, h.status, h.chart]).at(-1), [2, "deployed", "app-1.1.0"]);
    assert.equal((await configMap()).data?.version, "1.1.0");
    assert.equal((await stateOf())?.revision, 2);
    await noChanges("after the upgrade");
  });

  test("a values change shows key by key in the plan with a new values digest; apply upgrades", async () => {
    const digest = (await stateOf())?.values_digest;
    await tf.writeConfig(config({ version: "1.1.0", values: { color: "green" } }));
    const human = await tf.must("plan", "-input=false", "-no-color");
    assert.match(human, /~ values\s+= jsonencode\(/, `values render as JSON:\n${human}`);
    assert.match(human, /~ color = "blue" -> "green"/, `the plan shows the changed key:\n${human}`);
    assert.match(human, /values_digest\s+= "sha256:[0-9a-f]{64}" -> "sha256:[0-9a-f]{64}"/);
    const plan = await tf.planJson();
    const hr = change(plan, ADDRESS);
    assert.deepEqual([(hr.after?.plan as { action: string }).action, (hr.after?.plan as { reason: string }).reason], ["upgrade", "values changed"]);
    assert.notEqual(hr.after?.values_digest, digest);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await configMap()).data?.color, "green");
    assert.equal((await history()).length, 3);
    await noChanges("after the values upgrade");
  });

  test("drift made by hand shows after the refresh and in the plan; apply corrects it without a new release version", async () => {
    await core.patchNamespacedConfigMap(
      { name: RELEASE, namespace: NS, body: { data: { color: "hand-edited" } }, fieldManager: "kubectl-edit" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const plan = await tf.planJson();
    const drift = plan.resource_drift?.find((r) => r.address === ADDRESS);
    assert.match(String((drift?.change.after?.drift as string[] | undefined)?.[0]), new RegExp(`^ConfigMap/${NS}/${RELEASE}: .*data`), "the refresh reports the drifted object");
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["update"]);
    const summary = hr.after?.plan as { action: string; drifted: string[] };
    assert.equal(summary.action, "none");
    assert.equal(summary.drifted.length, 1);
    assert.equal(hr.after?.revision, 3, "correcting drift makes no release version");
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await configMap()).data?.color, "green");
    assert.equal((await history()).length, 3);
    await noChanges("after correcting the drift");
  });

  test("with driftDetection warn, drift shows in one plan, is reported by the apply and left as it is", async () => {
    const warn = { version: "1.1.0", values: { color: "green" }, drift: "warn" };
    await tf.writeConfig(config(warn));
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    await core.patchNamespacedConfigMap(
      { name: RELEASE, namespace: NS, body: { data: { color: "hand-edited" } }, fieldManager: "kubectl-edit" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const plan = await tf.planJson();
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["update"]);
    assert.equal((hr.after?.plan as { drifted: string[] }).drifted.length, 1, "the plan shows the drift");
    const out = await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.match(out, /drift detected \(driftDetection\.mode warn, not corrected\)/);
    assert.equal((await configMap()).data?.color, "hand-edited", "warn leaves the drift");
    await noChanges("once the drift was reported");
    await tf.writeConfig(config({ version: "1.1.0", values: { color: "green" } }));
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal((await configMap()).data?.color, "green", "mode enabled corrects it");
    assert.equal((await history()).length, 3, "no release version either way");
  });

  test("a version no chart has is fluxiac's diagnostic on chart.spec.version, and changes nothing", async () => {
    await tf.writeConfig(config({ version: "9.9.9", values: { color: "green" } }));
    const r = await tf.terraform("plan", "-input=false", "-no-color");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /HelmRelease "web": chart\.spec: HelmChart "default-web": HelmRepository "charts": no version of chart "app" matches version "9\.9\.9"/);
    assert.match(r.stderr, /"version": "9\.9\.9"/, "terraform points at the attribute chart.spec.version");
    const json = await tf.terraform("plan", "-input=false", "-no-color", "-json");
    const diag = json.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; diagnostic?: { summary: string; snippet?: { code: string } } }).find((m) => m.type === "diagnostic");
    assert.match(diag?.diagnostic?.snippet?.code ?? "", /"version": "9\.9\.9"/);
    assert.equal((await history()).length, 3, "the release is untouched");
    await tf.writeConfig(config({ version: "1.1.0", values: { color: "green" } }));
  });

  test("neither the valuesFrom Secret's data nor a credential reaches the state or the provider's log", async () => {
    const logPath = join(scratch, "provider.log");
    const r = await run("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode"], { cwd: tf.dir, env: { ...tf.env, TF_LOG_PROVIDER: "DEBUG", TF_LOG_PATH: logPath } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const log = readFileSync(logPath, "utf8");
    assert.match(log, /HelmRelease "web": the plan reuses the refresh's render/);
    const state = readFileSync(join(tf.dir, "terraform.tfstate"), "utf8");
    for (const secret of [SECRET_VALUE, cp.adminToken]) {
      assert.equal(log.includes(secret), false, "not in the provider's log");
      assert.equal(state.includes(secret), false, "not in the state");
    }
  });

  test("import by <namespace>/<name> adopts the release: the plan installs nothing", async () => {
    await tf.must("state", "rm", ADDRESS);
    await tf.must("import", "-input=false", "-no-color", ADDRESS, "default/web");
    const plan = await tf.planJson();
    const hr = change(plan, ADDRESS);
    assert.deepEqual(hr.actions, ["update"], "updated in place, not recreated");
    assert.deepEqual([(hr.after?.plan as { action: string }).action, (hr.after?.plan as { reason: string }).reason], ["none", "up to date"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await history()).length, 3, "no new release version");
    assert.equal((await stateOf())?.revision, 3);
    await noChanges("after applying the import");
  });

  test("a failed upgrade is rolled back and the state records the release as it is; the next plan shows the upgrade again", async () => {
    await tf.writeConfig(config({ version: "2.0.0", values: { color: "green" }, upgrade: { remediation: { retries: 1 } } }));
    const r = await tf.terraform("apply", "-input=false", "-no-color", "-auto-approve");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /HelmRelease "web": upgrade failed: .*Not_A_Valid_Name.*rolled back to revision 3 \(upgrade\.remediation strategy rollback, 2 attempts\); the release is at version 7 \(deployed\)/s);
    const last = (await history()).at(-1);
    assert.deepEqual([last?.revision, last?.status, last?.chart], [7, "deployed", "app-1.1.0"]);
    const state = await stateOf();
    assert.deepEqual([state?.revision, state?.status, state?.chart_version], [7, "deployed", "1.1.0"], "the state holds the release the rollback made");
    const plan = await tf.planJson();
    const summary = change(plan, ADDRESS).after?.plan as { action: string; reason: string };
    assert.deepEqual([summary.action, summary.reason], ["upgrade", "chart app-1.1.0 → app-2.0.0"]);
    await tf.writeConfig(config({ version: "1.1.0", values: { color: "green" } }));
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal((await history()).at(-1)?.revision, 7, "back on the deployed chart: no new release version");
    await noChanges("back on chart 1.1.0");
  });

  test("destroy uninstalls the release", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
    await assert.rejects(configMap(), (e: { code?: number }) => e.code === 404);
  });
});
