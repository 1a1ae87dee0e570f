// HelmRelease engine verbs against a real API server and a real chart repository over HTTP: install,
// upgrade on a new chart version and on new values, tests, drift (warn and enabled), a failed upgrade
// rolled back, bad input that leaves the release untouched, the defaultServiceAccount identity, uninstall,
// and the helm processes a plan and the apply that follows it start. Releases are checked with the real helm CLI (list, history, get values).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import type { Logger } from "../../src/core/log";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease, type HelmReleasePlan, type HelmReleaseStatus } from "../../src/core/reconcile/helm-release";
import { planHelmRepository } from "../../src/core/reconcile/helm-repository";
import type { HelmReleaseSpec } from "../../src/core/helm/types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmCli, helmHistory, helmList, podTestChart, strictChart } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { tool, toolsBin } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.PATH = `${toolsBin()}:${process.env.PATH}`;

const NS = "shop";
const RELEASE = "shop-web";

describe("HelmRelease engine over an HTTP chart repository", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let core: k8s.CoreV1Api;
  let state: HelmReleaseStatus | undefined;
  const warnings: string[] = [];
  const log: Logger = { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) };
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log });
  const helm = (...args: string[]) => helmCli(cp.kubeconfigPath, args);
  const history = () => helmHistory(cp.kubeconfigPath, RELEASE, NS);

  /** spec is the release of chart "app" in range ^1.0.0, with the repository's current index. */
  const spec = async (extra: Partial<HelmReleaseSpec> = {}, chart: { chart?: string; version?: string } = {}): Promise<HelmReleaseSpec> => {
    const repoSpec = { url: charts.url };
    const { artifact } = await planHelmRepository("charts", repoSpec, undefined, ctx());
    return {
      chart: { spec: { chart: chart.chart ?? "app", version: chart.version ?? "^1.0.0", sourceRef: { kind: "HelmRepository", name: "charts", spec: repoSpec, artifact } } },
      namespace: "default",
      targetNamespace: NS,
      install: { createNamespace: true },
      test: { enable: true },
      cluster: { kubeconfig: cp.kubeconfig },
      ...extra,
    };
  };
  const configMap = () => core.readNamespacedConfigMap({ name: RELEASE, namespace: NS });

  before(async () => {
    [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo({ dir: scratch })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await charts.addChart(appChart("1.0.0"));
    await charts.addChart(appChart("2.0.0", { failingHook: true }));
    await charts.addChart(strictChart());
    await charts.addChart(podTestChart());
  });
  after(async () => {
    await Promise.all([cp?.stop(), charts?.stop()]);
  });

  test("plan shows an install with the rendered objects; apply installs an ordinary Helm release with origin labels, tested", async () => {
    const s = await spec();
    const plan = await planHelmRelease("web", s, undefined, ctx());
    assert.equal(plan.action, "install");
    assert.equal(plan.releaseName, RELEASE);
    assert.equal(plan.chartVersion, "1.0.0");
    assert.deepEqual(plan.objects, { ConfigMap: 1 }, "the test hook is not counted");
    assert.match(plan.valuesDigest, /^sha256:[0-9a-f]{64}$/);
    state = await applyHelmRelease("web", s, undefined, ctx());
    assert.deepEqual({ revision: state.revision, status: state.status, chartVersion: state.chartVersion }, { revision: 1, status: "deployed", chartVersion: "1.0.0" });
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), [RELEASE]);
    const cm = await configMap();
    assert.equal(cm.data?.color, "blue");
    assert.deepEqual([cm.metadata?.labels?.["helm.toolkit.fluxcd.io/name"], cm.metadata?.labels?.["helm.toolkit.fluxcd.io/namespace"]], ["web", "default"]);
    assert.equal((await core.readNamespacedConfigMap({ name: `${RELEASE}-test`, namespace: NS })).data?.ok, "true", "helm test ran the test hook");
    const again = await planHelmRelease("web", s, state, ctx());
    assert.deepEqual([again.action, again.reason, again.drifted], ["none", "up to date", []]);
  });

  test("a new chart version inside the semver range plans and applies an upgrade", async () => {
    await charts.addChart(appChart("1.1.0"));
    const s = await spec();
    const plan = await planHelmRelease("web", s, state, ctx());
    assert.deepEqual([plan.action, plan.reason, plan.chartVersion], ["upgrade", "chart app-1.0.0 → app-1.1.0", "1.1.0"]);
    assert.deepEqual(plan.objects, { ConfigMap: 1, Service: 1 });
    state = await applyHelmRelease("web", s, state, ctx());
    assert.deepEqual([state.revision, state.chartVersion, state.status], [2, "1.1.0", "deployed"]);
    assert.equal((await configMap()).data?.version, "1.1.0");
  });

  test("changed values (inline over valuesFrom) plan a new digest and upgrade the release", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "web-values" }, data: { "values.yaml": "color: green\nreplicas: 2\n" } } });
    const s = await spec({ valuesFrom: [{ kind: "ConfigMap", name: "web-values" }], values: { color: "red" } });
    const plan = await planHelmRelease("web", s, state, ctx());
    assert.deepEqual([plan.action, plan.reason], ["upgrade", "values changed"]);
    assert.notEqual(plan.valuesDigest, state!.valuesDigest);
    state = await applyHelmRelease("web", s, state, ctx());
    assert.equal(state.valuesDigest, plan.valuesDigest);
    assert.equal((await configMap()).data?.color, "red");
    assert.deepEqual(JSON.parse(await helm("get", "values", RELEASE, "-n", NS, "-o", "json")), { color: "red", replicas: 2 });
  });

  test("an apply that follows its plan starts only helm install or upgrade; an up-to-date plan reads the release with two helm processes", async () => {
    // Given a wrapper that logs each helm process's verb
    const logFile = join(scratch, "helm-verbs.log");
    const wrapper = join(scratch, "helm-counting");
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${logFile}'\nexec '${tool("helm")}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const verbs = async (fn: () => Promise<unknown>) => {
      writeFileSync(logFile, "");
      await fn();
      return readFileSync(logFile, "utf8").split("\n").filter(Boolean).sort();
    };
    process.env.FLUXIAC_HELM = wrapper;
    const s = await spec({ releaseName: "counted", test: { enable: false } });
    let counted: HelmReleaseStatus | undefined;
    try {
      // When it is planned and applied, then changed, then planned again unchanged
      assert.deepEqual(await verbs(() => planHelmRelease("counted", s, undefined, ctx())), ["history", "status", "template"]);
      assert.deepEqual(await verbs(async () => (counted = await applyHelmRelease("counted", s, undefined, ctx()))), ["install"]);
      const changed = { ...s, values: { color: "teal" } };
      assert.deepEqual(await verbs(() => planHelmRelease("counted", changed, counted, ctx())), ["history", "status", "template"]);
      assert.deepEqual(await verbs(async () => (counted = await applyHelmRelease("counted", changed, counted, ctx()))), ["upgrade"]);
      let plan: HelmReleasePlan | undefined;
      assert.deepEqual(await verbs(async () => (plan = await planHelmRelease("counted", changed, counted, ctx()))), ["history", "status"]);
      // Then the recorded status is the release's, the up-to-date plan summarizes the release's manifest,
      // its apply starts no helm process, and an apply without a plan reads the release itself
      assert.deepEqual([counted?.revision, counted?.status, counted?.chartVersion], [2, "deployed", "1.1.0"]);
      assert.deepEqual([plan?.action, plan?.valuesDigest, plan?.objects], ["none", counted?.valuesDigest, { ConfigMap: 1, Service: 1 }]);
      assert.deepEqual(await verbs(() => applyHelmRelease("counted", changed, counted, ctx())), []);
      assert.deepEqual(await verbs(() => applyHelmRelease("counted", changed, counted, ctx())), ["history", "status"]);
      assert.equal((await core.readNamespacedConfigMap({ name: "counted", namespace: NS })).data?.color, "teal");
    } finally {
      delete process.env.FLUXIAC_HELM;
    }
    await deleteHelmRelease("counted", s, counted, ctx());
  });

  test("drift is only reported with driftDetection warn, and corrected with enabled", async () => {
    const base = await spec({ valuesFrom: [{ kind: "ConfigMap", name: "web-values" }], values: { color: "red" } });
    await core.patchNamespacedConfigMap(
      { name: RELEASE, namespace: NS, body: { data: { color: "hand-made" } }, fieldManager: "intruder" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const off = await planHelmRelease("web", base, state, ctx());
    assert.deepEqual([off.action, off.drifted], ["none", []], "drift detection is disabled by default");
    const warn = { ...base, driftDetection: { mode: "warn" as const } };
    const planned = await planHelmRelease("web", warn, state, ctx());
    assert.deepEqual(planned.drifted, [`ConfigMap/${NS}/${RELEASE}: data`]);
    await applyHelmRelease("web", warn, state, ctx());
    assert.equal((await configMap()).data?.color, "hand-made", "warn leaves the drift");
    assert.ok(warnings.some((w) => w.includes(`drift detected (driftDetection.mode warn, not corrected): ConfigMap/${NS}/${RELEASE}: data`)), warnings.join("\n"));
    const ignored = await planHelmRelease("web", { ...base, driftDetection: { mode: "enabled", ignore: [{ paths: ["/data/color"], target: { kind: "ConfigMap" } }] } }, state, ctx());
    assert.deepEqual(ignored.drifted, [], "ignore rules leave the path out");
    const enabled = { ...base, driftDetection: { mode: "enabled" as const } };
    state = await applyHelmRelease("web", enabled, state, ctx());
    assert.equal((await configMap()).data?.color, "red", "enabled corrects the drift");
    assert.deepEqual((await planHelmRelease("web", enabled, state, ctx())).drifted, []);
    assert.equal(state.revision, 3, "correcting drift makes no new release version");
  });

  test("bad chart name, unknown version and invalid values fail naming the HelmRelease and the field; the release is untouched", async () => {
    const before = await history();
    const cases: [Promise<HelmReleaseSpec>, RegExp][] = [
      [spec({}, { chart: "nope" }), /HelmRelease "web": chart\.spec: HelmChart "default-web": HelmRepository "charts": chart "nope" is not in the repository index/],
      [spec({}, { version: ">= 9.0.0" }), /HelmRelease "web": chart\.spec: HelmChart "default-web": HelmRepository "charts": no version of chart "app" matches version ">= 9\.0\.0"/],
      [spec({ values: { replicas: "three" } }, { chart: "strict", version: "1.0.0" }), /HelmRelease "web": rendering chart strict 1\.0\.0 with the values failed: .*replicas.*fix values or valuesFrom/],
      [spec({ valuesFrom: [{ kind: "Secret", name: "absent" }] }), /HelmRelease "web": valuesFrom\[0\]: Secret "absent" not found; create it or set valuesFrom\[0\]\.optional: true/],
      [spec({ driftDetection: { mode: "sometimes" as "warn" } }), /HelmRelease "web": driftDetection\.mode "sometimes" must be one of enabled, warn, disabled/],
    ];
    for (const [s, re] of cases) {
      await assert.rejects(planHelmRelease("web", await s, state, ctx()), re);
      await assert.rejects(applyHelmRelease("web", await s, state, ctx()), re);
    }
    assert.deepEqual(await history(), before, "helm history is unchanged");
  });

  test("the connection's defaultServiceAccount is who Helm acts as without serviceAccountName; its RBAC decides", async () => {
    const s = await spec({ cluster: { kubeconfig: cp.kubeconfig, defaultServiceAccount: "nobody" } });
    await assert.rejects(applyHelmRelease("guarded", s, undefined, ctx()), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "ApplyFailed");
      assert.match(err.message, /^HelmRelease "guarded": .*"system:serviceaccount:default:nobody" cannot \w+ resource "secrets".*; grant that permission .*defaultServiceAccount/);
      return true;
    });
    // An explicit serviceAccountName wins over the default: the error names it instead.
    await assert.rejects(applyHelmRelease("guarded", { ...s, serviceAccountName: "chosen" }, undefined, ctx()), /"system:serviceaccount:default:chosen" cannot/);
    await assert.rejects(helm("status", "shop-guarded", "-n", NS), /release: not found/, "nothing was installed");
  });

  test("a failed upgrade (a hook the API server rejects) is rolled back, as upgrade.remediation says", async () => {
    const s = await spec({ valuesFrom: [{ kind: "ConfigMap", name: "web-values" }], values: { color: "red" }, upgrade: { remediation: { retries: 1 } } }, { version: "2.0.0" });
    const plan = await planHelmRelease("web", s, state, ctx());
    assert.deepEqual([plan.action, plan.chartVersion], ["upgrade", "2.0.0"]);
    await assert.rejects(applyHelmRelease("web", s, state, ctx()), (err: Error & { state?: HelmReleaseStatus }) => {
      assert.match(err.message, /^HelmRelease "web": upgrade failed: .*Not_A_Valid_Name.*; rolled back to revision 3 \(upgrade\.remediation strategy rollback, 2 attempts\); the release is at version 7 \(deployed\)/);
      assert.deepEqual([err.state?.revision, err.state?.chartVersion], [7, "1.1.0"]);
      return true;
    });
    const h = await history();
    assert.equal(h.length, 5, "maxHistory (default 5) trims the history");
    assert.deepEqual(h.filter((e) => e.revision >= 4).map((e) => [e.revision, e.status, e.chart]), [
      [4, "failed", "app-2.0.0"],
      [5, "superseded", "app-1.1.0"],
      [6, "failed", "app-2.0.0"],
      [7, "deployed", "app-1.1.0"],
    ]);
    assert.equal((await configMap()).data?.version, "1.1.0");
  });

  test("without remediation a failed upgrade is left failed, and the next apply upgrades again", async () => {
    const s = await spec({ values: { color: "red" }, upgrade: { remediation: { retries: 0 } } }, { version: "2.0.0" });
    await assert.rejects(applyHelmRelease("web", s, state, ctx()), /upgrade failed: .*the failed release is left as it is \(upgrade\.remediation\.retries 0, remediateLastFailure false\); the release is at version 8 \(failed\)/);
    const good = await spec({ values: { color: "red" } });
    const plan = await planHelmRelease("web", good, state, ctx());
    assert.deepEqual([plan.action, plan.reason], ["upgrade", "the release's last version is failed"]);
    state = await applyHelmRelease("web", good, state, ctx());
    assert.deepEqual([state.revision, state.status, state.chartVersion], [9, "deployed", "1.1.0"]);
  });

  test("an upgrade remediated by uninstall removes the release; the next apply installs it again", async () => {
    const s = await spec({ values: { color: "red" }, upgrade: { remediation: { retries: 0, remediateLastFailure: true, strategy: "uninstall" } } }, { version: "2.0.0" });
    await assert.rejects(applyHelmRelease("web", s, state, ctx()), /upgrade failed: .*; the release was uninstalled \(upgrade\.remediation strategy uninstall, 1 attempt\)/);
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
    const good = await spec({ values: { color: "red" } });
    assert.equal((await planHelmRelease("web", good, undefined, ctx())).action, "install");
    state = await applyHelmRelease("web", good, undefined, ctx());
    assert.deepEqual([state.revision, state.status], [1, "deployed"]);
  });

  test("suspend plans and applies nothing; a dependency that is not deployed blocks the apply", async () => {
    const before = await history();
    const changed = await spec({ values: { color: "purple" }, suspend: true });
    assert.deepEqual(await planHelmRelease("web", changed, state, ctx()).then((p) => [p.action, p.reason]), ["none", "suspended"]);
    assert.deepEqual(await applyHelmRelease("web", changed, state, ctx()), state);
    const blocked = await spec({ values: { color: "purple" }, dependsOn: [{ kind: "HelmRelease", name: "db", revision: "1.0.0", lastAppliedRevision: undefined }] });
    await assert.rejects(applyHelmRelease("web", blocked, state, ctx()), /HelmRelease "web": dependency not ready: HelmRelease "db": it has not applied a revision yet; nothing was applied/);
    assert.deepEqual(await history(), before, "nothing happened to the release");
  });

  test("failing tests fail the install and are remediated by uninstall; with test.ignoreFailures the release stays", async () => {
    const tested = async (extra: Partial<HelmReleaseSpec>) => spec({ releaseName: "tested", test: { enable: true, timeout: "3s" }, ...extra }, { chart: "tested", version: "1.0.0" });
    await assert.rejects(
      applyHelmRelease("tested", await tested({ install: { remediation: { retries: 0, remediateLastFailure: true } } }), undefined, ctx()),
      /HelmRelease "tested": install failed: tests failed: .*; the release was uninstalled \(install\.remediation, 1 attempt\)/,
    );
    assert.equal((await helmList(cp.kubeconfigPath, NS)).includes("tested"), false, "the failed install was uninstalled");
    const kept = await applyHelmRelease("tested", await tested({ test: { enable: true, timeout: "3s", ignoreFailures: true } }), undefined, ctx());
    assert.equal(kept.status, "deployed");
    assert.ok(warnings.some((w) => w.includes('HelmRelease "tested": tests failed, ignored (test.ignoreFailures)')), warnings.join("\n"));
    await deleteHelmRelease("tested", await tested({}), kept, ctx());
  });

  test("a release left pending by a killed helm is refused while it may still run, then unlocked once older than timeout and upgraded, as helm-controller does", async () => {
    const locked = async (extra: Partial<HelmReleaseSpec> = {}) => spec({ releaseName: "locked", test: { enable: false }, ...extra });
    const statuses = async () => (await helmHistory(cp.kubeconfigPath, "locked", NS)).map((h) => h.status);
    // Given a release at version 1, and a helm upgrade killed while it waits for a pre-upgrade hook Pod that never runs
    const first = await applyHelmRelease("locked", await locked(), undefined, ctx());
    await charts.addChart(appChart("3.0.0", { hangingHook: true }));
    const upgrade = spawn(tool("helm"), ["upgrade", "locked", "app", "--repo", charts.url, "--version", "3.0.0", "-n", NS, "--timeout", "10m", "--kubeconfig", cp.kubeconfigPath], { stdio: "ignore" });
    for (let i = 0; (await statuses()).at(-1) !== "pending-upgrade"; i++) {
      assert.ok(i < 300, `helm upgrade never left the release pending: ${(await statuses()).join(", ")}`);
      await sleep(100);
    }
    upgrade.kill("SIGKILL");
    await once(upgrade, "exit");
    const killedAt = Date.now();
    assert.deepEqual(await statuses(), ["deployed", "pending-upgrade"]);

    // When fluxiac applies while the pending version is younger than timeout, then it refuses and leaves the release alone
    const plan = await planHelmRelease("locked", await locked({ values: { color: "red" } }), first, ctx());
    assert.deepEqual([plan.action, plan.reason], ["upgrade", "the release's last version is pending-upgrade: the apply unlocks it once it is older than timeout"]);
    await assert.rejects(applyHelmRelease("locked", await locked({ values: { color: "red" } }), first, ctx()), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "ReleaseLocked");
      assert.match(err.message, /^HelmRelease "locked": release shop\/locked version 2 is pending-upgrade since \d{4}-.*: another helm operation may still be running on it; let it finish, or run again once it is older than timeout \(5m\), when fluxiac unlocks it$/);
      return true;
    });
    assert.deepEqual(await statuses(), ["deployed", "pending-upgrade"], "the release was left alone");

    // When it is older than timeout, then the pending version is marked failed with helm-controller's description, and the upgrade runs
    await sleep(Math.max(0, killedAt + 2_500 - Date.now()));
    const made = await applyHelmRelease("locked", await locked({ values: { color: "red" }, timeout: "2s" }), first, ctx());
    assert.deepEqual([made.revision, made.status, made.chartVersion], [3, "deployed", first.chartVersion]);
    const hist = await helmHistory(cp.kubeconfigPath, "locked", NS);
    assert.deepEqual(hist.map((h) => [h.status, h.description]).slice(1, 2), [["failed", "Release unlocked from stale 'pending-upgrade' state"]]);
    assert.deepEqual(hist.map((h) => h.status), ["superseded", "failed", "deployed"]);
    assert.equal((await core.readNamespacedConfigMap({ name: "locked", namespace: NS })).data?.color, "red");
    assert.ok(warnings.some((w) => /^HelmRelease "locked": unlocked release shop\/locked version 2, pending-upgrade for \d+s with no helm finishing it: marked failed$/.test(w)), warnings.join("\n"));
    await deleteHelmRelease("locked", await locked(), made, ctx());
  });

  test("delete uninstalls the release and its objects", async () => {
    await deleteHelmRelease("web", await spec(), state, ctx());
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
    await assert.rejects(configMap(), (err: { code?: number }) => err.code === 404);
    await deleteHelmRelease("web", await spec(), state, ctx());
  });
});
