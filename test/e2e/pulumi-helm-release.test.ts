// HelmRelease through the real Pulumi engine, a real chart repository (basic auth) and a real API
// server: preview shows the chart version, the values digest and drift; up installs, upgrades, corrects
// drift and rolls back a failed upgrade; bad input fails in preview; destroy uninstalls. Update takes
// over the plan check made, so an upgrade starts no helm process besides helm upgrade.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmCli, helmHistory, helmList } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const NS = "shop";
const RELEASE = "shop-web";
const SECRET_VALUE = "t0p-s3cret-value";
/** HELM_LOG lists the verb of every helm process the providers start (through a wrapper). */
const HELM_LOG = join(scratch, "helm-verbs.log");

/** PROGRAM is the test's Pulumi program: a HelmRepository with auth and a HelmRelease of chart "app". */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { HelmRepository, HelmRelease } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new HelmRepository("charts", { url: cfg.require("url"), auth: cfg.requireSecretObject("auth") });
const hr = new HelmRelease("web", {
  chart: { spec: { chart: "app", version: cfg.get("version") || "^1.0.0", sourceRef: repo } },
  namespace: "default",
  targetNamespace: "${NS}",
  install: { createNamespace: true },
  upgrade: { remediation: { retries: 1 } },
  values: cfg.getObject("values") || {},
  valuesFrom: [{ kind: "Secret", name: "web-secret", valuesKey: "token", targetPath: "auth.token" }],
  driftDetection: { mode: cfg.get("drift") || "disabled" },
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.revision = hr.revision;
exports.status = hr.status;
exports.chartVersion = hr.chartVersion;
exports.valuesDigest = hr.valuesDigest;
exports.releaseName = hr.releaseName;
`;

describe("HelmRelease under pulumi preview, up and destroy", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  const engineLog: string[] = [];
  const HR = "pulumi-nodejs:dynamic/helm:HelmRelease";

  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });
  /** preview runs `pulumi preview --diff` and returns the HelmRelease's planned summary too. */
  const preview = async () => {
    let plan: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await prog.stack.preview({
      diff: true,
      onOutput: (o) => engineLog.push(o),
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === HR) plan = md.new?.inputs?.plan;
      },
    });
    return { ...res, plan };
  };
  const history = () => helmHistory(cp.kubeconfigPath, RELEASE, NS);
  const configMap = () => core.readNamespacedConfigMap({ name: RELEASE, namespace: NS });
  const setConfig = (cfg: Record<string, string>) => prog.setConfig(Object.fromEntries(Object.entries(cfg).map(([k, value]) => [k, { value }])));

  before(async () => {
    [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo({ dir: scratch, auth: true })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "web-secret" }, stringData: { token: SECRET_VALUE } } });
    await charts.addChart(appChart("1.0.0"));
    await charts.addChart(appChart("2.0.0", { failingHook: true }));
    const wrapper = join(scratch, "helm-counting");
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${HELM_LOG}'\nexec '${tool("helm")}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    prog = await pulumiProgram("helm-release", PROGRAM, {
      env: { FLUXIAC_HELM: wrapper },
      config: {
        url: { value: charts.url },
        auth: { value: JSON.stringify({ username: charts.username, password: charts.password }), secret: true },
        kubeconfig: { value: cp.kubeconfig, secret: true },
      },
    });
  });
  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), charts?.stop()]);
  });

  test("preview plans an install with the rendered objects; up makes an ordinary Helm release; no secret reaches plain state", async () => {
    const pv = await preview();
    assert.equal(pv.changeSummary.create, 5, JSON.stringify(pv.changeSummary));
    const res = await up();
    assert.deepEqual([res.outputs.revision.value, res.outputs.status.value, res.outputs.chartVersion.value, res.outputs.releaseName.value], [1, "deployed", "1.0.0", RELEASE]);
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), [RELEASE]);
    assert.deepEqual(JSON.parse(await helmCli(cp.kubeconfigPath, ["get", "values", RELEASE, "-n", NS, "-o", "json"])), { auth: { token: SECRET_VALUE } });
    const state = await prog.rawState();
    assert.ok(state.includes(res.outputs.valuesDigest.value), "the values digest is recorded");
    for (const secret of [charts.password, cp.adminToken, SECRET_VALUE]) {
      assert.equal(state.includes(secret), false, "no credential or secret value in plain state");
      assert.equal(engineLog.join("").includes(secret), false, "nor in the engine's output");
    }
    const again = await preview();
    assert.equal(again.changeSummary.update ?? 0, 0, `nothing changes: ${JSON.stringify(again.changeSummary)}\n${again.stdout}`);
    assert.deepEqual([again.plan?.action, again.plan?.objects], ["none", { ConfigMap: 1 }]);
  });

  test("a new chart version in range shows in preview --diff as an upgrade; up upgrades", async () => {
    await charts.addChart(appChart("1.1.0"));
    const pv = await preview();
    assert.deepEqual([pv.plan?.action, pv.plan?.chartVersion, pv.plan?.reason], ["upgrade", "1.1.0", "chart app-1.0.0 → app-1.1.0"]);
    assert.ok((pv.changeSummary.update ?? 0) >= 2, JSON.stringify(pv.changeSummary));
    assert.match(pv.stdout, /chartVersion\s*:\s*"1\.0\.0" => "1\.1\.0"/, pv.stdout);
    const res = await up();
    assert.deepEqual([res.outputs.revision.value, res.outputs.chartVersion.value], [2, "1.1.0"]);
  });

  test("changed values show as a new values digest; up upgrades the release", async () => {
    const before = (await prog.stack.outputs()).valuesDigest.value;
    await prog.setConfig({ values: { value: JSON.stringify({ color: "red" }) } });
    const pv = await preview();
    assert.deepEqual([pv.plan?.action, pv.plan?.reason], ["upgrade", "values changed"]);
    assert.notEqual(pv.plan?.valuesDigest, before);
    assert.ok(pv.stdout.includes(pv.plan!.valuesDigest), "preview --diff shows the new digest");
    writeFileSync(HELM_LOG, "");
    const res = await up();
    assert.equal(res.outputs.revision.value, 3);
    const verbs = readFileSync(HELM_LOG, "utf8").split("\n").filter(Boolean).sort();
    assert.deepEqual(verbs, ["history", "status", "template", "upgrade"], "update takes over what check read and rendered: helm upgrade is its only helm process");
    assert.equal((await configMap()).data?.color, "red");
  });

  test("drift shows in preview: warn reports it once, enabled corrects it", async () => {
    await core.patchNamespacedConfigMap(
      { name: RELEASE, namespace: NS, body: { data: { color: "hand-made" } }, fieldManager: "intruder" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    assert.equal((await preview()).changeSummary.update ?? 0, 0, "drift detection is disabled by default");
    await setConfig({ drift: "warn" });
    const warn = await preview();
    assert.deepEqual(warn.plan?.drifted, [`ConfigMap/${NS}/${RELEASE}: data`]);
    assert.ok(warn.stdout.includes(`ConfigMap/${NS}/${RELEASE}: data`), warn.stdout);
    await up();
    assert.equal((await configMap()).data?.color, "hand-made", "warn does not correct");
    assert.equal((await preview()).changeSummary.update ?? 0, 0, "drift already reported is not a change again");
    await setConfig({ drift: "enabled" });
    const enabled = await preview();
    assert.equal(enabled.changeSummary.update, 1, enabled.stdout);
    const res = await up();
    assert.equal((await configMap()).data?.color, "red", "enabled corrects the drift");
    assert.equal(res.outputs.revision.value, 3, "without a new release version");
    assert.equal((await preview()).changeSummary.update ?? 0, 0);
  });

  test("a failed upgrade is rolled back per upgrade.remediation and up fails naming the HelmRelease", async () => {
    await setConfig({ version: "2.0.0" });
    const pv = await preview();
    assert.deepEqual([pv.plan?.action, pv.plan?.chartVersion], ["upgrade", "2.0.0"]);
    await assert.rejects(up(), /HelmRelease "web": upgrade failed: .*Not_A_Valid_Name.*rolled back to revision 3/);
    const h = await history();
    assert.deepEqual([h.at(-1)?.status, h.at(-1)?.chart], ["deployed", "app-1.1.0"]);
    assert.ok(h.some((e) => e.status === "failed" && e.chart === "app-2.0.0"));
    assert.equal((await configMap()).data?.version, "1.1.0");
    await setConfig({ version: "^1.0.0" });
  });

  test("an unknown version fails the preview naming the HelmRelease and the field; the release is untouched", async () => {
    const before = await history();
    await setConfig({ version: ">= 9.0.0" });
    await assert.rejects(preview(), /HelmRelease "web": chart\.spec: HelmChart "default-web": HelmRepository "charts": no version of chart "app" matches version ">= 9\.0\.0"/);
    await assert.rejects(up(), /no version of chart "app" matches/);
    assert.deepEqual(await history(), before);
    await setConfig({ version: "^1.0.0" });
  });

  test("destroy uninstalls the release", async () => {
    await up();
    await prog.stack.destroy({ onOutput: (o) => engineLog.push(o) });
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
    await assert.rejects(configMap(), (err: { code?: number }) => err.code === 404);
  });
});
