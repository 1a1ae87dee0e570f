// HelmRelease install/upgrade options against a real API server and a real chart repository over HTTP:
// schema validation on and off, taking ownership of objects Helm does not own (Flux's default) and
// refusing to (disableTakeOwnership), strategy RetryOnFailure (no remediation, the next apply retries),
// a change of the chart's name (chartNameChangeStrategy Reinstall and InPlaceUpdate), and healthCheckExprs
// on a custom resource whose status the test writes (no kubelet, no controller). Releases are checked
// with the real helm CLI (history).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { PartialFailureError } from "../../src/core/errors";
import type { Logger } from "../../src/core/log";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease, type HelmReleaseStatus } from "../../src/core/reconcile/helm-release";
import { planHelmRepository } from "../../src/core/reconcile/helm-repository";
import type { HelmReleaseSpec } from "../../src/core/helm/types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, strictChart, widgetChart } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { toolsBin } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.PATH = `${toolsBin()}:${process.env.PATH}`;

const NS = "opts";

describe("HelmRelease install and upgrade options", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let core: k8s.CoreV1Api;
  let custom: k8s.CustomObjectsApi;
  const log: Logger = { info: () => {}, debug: () => {}, warn: () => {} };
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log });
  const history = (release: string) => helmHistory(cp.kubeconfigPath, release, NS);
  const steps = async (release: string) => (await history(release)).map((h) => [h.revision, h.status, h.chart]);

  /** spec releases chart (default "app" ^1.0.0) as release `name` in NS. */
  const spec = async (name: string, extra: Partial<HelmReleaseSpec> = {}, chart: { chart?: string; version?: string } = {}): Promise<HelmReleaseSpec> => {
    const repoSpec = { url: charts.url };
    const { artifact } = await planHelmRepository("charts", repoSpec, undefined, ctx());
    return {
      chart: { spec: { chart: chart.chart ?? "app", version: chart.version ?? "^1.0.0", sourceRef: { kind: "HelmRepository", name: "charts", spec: repoSpec, artifact } } },
      namespace: "default",
      targetNamespace: NS,
      releaseName: name,
      cluster: { kubeconfig: cp.kubeconfig },
      ...extra,
    };
  };

  before(async () => {
    [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo({ dir: scratch })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await charts.addChart(appChart("1.0.0"));
    await charts.addChart(appChart("1.1.0"));
    await charts.addChart(appChart("2.0.0", { failingHook: true }));
    await charts.addChart(strictChart());
    await charts.addChart(widgetChart());
  });
  after(async () => {
    await Promise.all([cp?.stop(), charts?.stop()]);
  });

  test("values that break values.schema.json fail naming the values; with install.disableSchemaValidation the release installs", async () => {
    const bad = { values: { replicas: "three" } };
    const strict = { chart: "strict", version: "1.0.0" };
    await assert.rejects(planHelmRelease("schema", await spec("schema", bad, strict), undefined, ctx()), /HelmRelease "schema": rendering chart strict 1\.0\.0 with the values failed: .*replicas.*fix values or valuesFrom \(or the chart\), or set install\.disableSchemaValidation$/);
    await assert.rejects(applyHelmRelease("schema", await spec("schema", bad, strict), undefined, ctx()), /replicas/);
    assert.deepEqual(await history("schema"), [], "nothing was installed");
    const lax = await spec("schema", { ...bad, install: { disableSchemaValidation: true }, upgrade: { disableSchemaValidation: true } }, strict);
    assert.equal((await planHelmRelease("schema", lax, undefined, ctx())).action, "install");
    const made = await applyHelmRelease("schema", lax, undefined, ctx());
    assert.deepEqual([made.revision, made.status], [1, "deployed"]);
    // An upgrade validates with upgrade's switch: without it the same values fail again
    const upgradeStrict = await spec("schema", { values: { replicas: "four" }, install: { disableSchemaValidation: true } }, strict);
    await assert.rejects(applyHelmRelease("schema", upgradeStrict, made, ctx()), /rendering chart strict 1\.0\.0 with the values failed: .*replicas.*, or set upgrade\.disableSchemaValidation$/);
    await deleteHelmRelease("schema", lax, made, ctx());
  });

  test("an object Helm does not own blocks the install with disableTakeOwnership; by default (as Flux) the release takes it over", async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "owned" }, data: { color: "hand-made" } } });
    const refused = await spec("owned", { install: { disableTakeOwnership: true } });
    await assert.rejects(applyHelmRelease("owned", refused, undefined, ctx()), (err: Error) => {
      assert.match(err.message, /^HelmRelease "owned": install failed: .*ConfigMap "owned" in namespace "opts" exists and cannot be imported into the current release: invalid ownership metadata/);
      return true;
    });
    assert.equal((await core.readNamespacedConfigMap({ name: "owned", namespace: NS })).data?.color, "hand-made", "the object is untouched");
    assert.deepEqual(await history("owned"), [], "helm refused before recording a release");
    const taken = await applyHelmRelease("owned", await spec("owned"), undefined, ctx());
    assert.deepEqual([taken.status, taken.revision], ["deployed", 1], "the install takes the object over");
    const cm = await core.readNamespacedConfigMap({ name: "owned", namespace: NS });
    assert.deepEqual([cm.data?.color, cm.metadata?.labels?.["app.kubernetes.io/managed-by"], cm.metadata?.annotations?.["meta.helm.sh/release-name"]], ["blue", "Helm", "owned"]);
    await deleteHelmRelease("owned", await spec("owned"), taken, ctx());
  });

  test("install.strategy RetryOnFailure leaves a failed install as it is, whatever remediation says; the next apply retries", async () => {
    const failing = await spec("retry-install", { install: { strategy: { name: "RetryOnFailure", retryInterval: "1m" }, remediation: { retries: 3, remediateLastFailure: true } } }, { version: "2.0.0" });
    const attempt = () =>
      assert.rejects(applyHelmRelease("retry-install", failing, undefined, ctx()), (err: Error) => {
        assert.ok(err instanceof PartialFailureError, "the failed release is recorded");
        assert.match(err.message, /^HelmRelease "retry-install": (install|upgrade) failed: .*Not_A_Valid_Name.*; the failed release is left as it is \((install|upgrade)\.strategy RetryOnFailure\): the next run retries it; the release is at version \d \(failed\)/);
        return true;
      });
    await attempt();
    assert.deepEqual(await steps("retry-install"), [[1, "failed", "app-2.0.0"]], "one attempt, no uninstall");
    assert.deepEqual((await planHelmRelease("retry-install", failing, undefined, ctx())).reason, "the release's last version is failed");
    await attempt();
    assert.deepEqual(await steps("retry-install"), [[1, "failed", "app-2.0.0"], [2, "failed", "app-2.0.0"]], "the next apply retried");
    await deleteHelmRelease("retry-install", failing, undefined, ctx());
  });

  test("upgrade.strategy RetryOnFailure leaves a failed upgrade failed (no rollback); a good chart then upgrades it", async () => {
    let state: HelmReleaseStatus = await applyHelmRelease("retry-upgrade", await spec("retry-upgrade"), undefined, ctx());
    const strategy = { name: "RetryOnFailure" as const };
    const failing = await spec("retry-upgrade", { upgrade: { strategy, remediation: { retries: 2 } } }, { version: "2.0.0" });
    await assert.rejects(applyHelmRelease("retry-upgrade", failing, state, ctx()), /upgrade failed: .*; the failed release is left as it is \(upgrade\.strategy RetryOnFailure\): the next run retries it; the release is at version 2 \(failed\)/);
    assert.deepEqual(await steps("retry-upgrade"), [[1, "deployed", "app-1.1.0"], [2, "failed", "app-2.0.0"]], "no rollback");
    state = await applyHelmRelease("retry-upgrade", await spec("retry-upgrade", { upgrade: { strategy } }), state, ctx());
    assert.deepEqual([state.revision, state.status, state.chartVersion], [3, "deployed", "1.1.0"]);
    await deleteHelmRelease("retry-upgrade", failing, state, ctx());
  });

  test("a new chart name upgrades in place with InPlaceUpdate, and is uninstalled then installed by default (Reinstall)", async () => {
    let state: HelmReleaseStatus = await applyHelmRelease("renamed", await spec("renamed"), undefined, ctx());
    const inPlace = await spec("renamed", { upgrade: { chartNameChangeStrategy: "InPlaceUpdate" } }, { chart: "strict", version: "1.0.0" });
    const planned = await planHelmRelease("renamed", inPlace, state, ctx());
    assert.deepEqual([planned.action, planned.reason], ["upgrade", "chart name app → strict (upgrade.chartNameChangeStrategy InPlaceUpdate)"]);
    state = await applyHelmRelease("renamed", inPlace, state, ctx());
    assert.deepEqual(await steps("renamed"), [[1, "superseded", "app-1.1.0"], [2, "deployed", "strict-1.0.0"]]);
    const back = await spec("renamed");
    const plan = await planHelmRelease("renamed", back, state, ctx());
    assert.deepEqual([plan.action, plan.reason], ["reinstall", "chart name strict → app (upgrade.chartNameChangeStrategy Reinstall)"]);
    state = await applyHelmRelease("renamed", back, state, ctx());
    assert.deepEqual([state.revision, state.status, state.chartVersion], [1, "deployed", "1.1.0"]);
    assert.deepEqual(await steps("renamed"), [[1, "deployed", "app-1.1.0"]], "the old release's history went with the uninstall");
    assert.equal((await planHelmRelease("renamed", back, state, ctx())).action, "none");
    await deleteHelmRelease("renamed", back, state, ctx());
  });

  /** setWidgetStatus writes a Widget's status as a controller would, retrying until the release has created it. */
  const setWidgetStatus = async (name: string, status: Record<string, unknown>) => {
    for (let i = 0; i < 100; i++) {
      try {
        await custom.patchNamespacedCustomObject(
          { group: "example.com", version: "v1", namespace: NS, plural: "widgets", name, body: { status } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`Widget ${name} never appeared`);
  };
  const widgetExprs = [{ apiVersion: "example.com/v1", kind: "Widget", current: "status.ready == true", failed: "status.phase == 'Broken'" }];

  test("healthCheckExprs: the install waits until the release's Widget is Current by its CEL expression", async () => {
    const s = await spec("healthy", { healthCheckExprs: widgetExprs, install: { timeout: "60s" } }, { chart: "widget", version: "1.0.0" });
    const [made] = await Promise.all([applyHelmRelease("healthy", s, undefined, ctx()), new Promise((r) => setTimeout(r, 1500)).then(() => setWidgetStatus("healthy", { ready: true }))]);
    assert.deepEqual([made.revision, made.status], [1, "deployed"]);
    await deleteHelmRelease("healthy", s, made, ctx());
  });

  test("healthCheckExprs: a Widget that fails its expression fails the install, which install.remediation uninstalls", async () => {
    const s = await spec("broken", { healthCheckExprs: widgetExprs, install: { timeout: "60s", remediation: { retries: 0, remediateLastFailure: true } } }, { chart: "widget", version: "1.0.0" });
    const applied = assert.rejects(applyHelmRelease("broken", s, undefined, ctx()), (err: Error) => {
      assert.match(err.message, /^HelmRelease "broken": install failed: health check \(healthCheckExprs\) failed: Widget\/opts\/broken: failed expression is true: status\.phase == 'Broken' \(Failed\); the release was uninstalled \(install\.remediation, 1 attempt\)/);
      return true;
    });
    await Promise.all([applied, setWidgetStatus("broken", { phase: "Broken" })]);
    assert.deepEqual(await history("broken"), [], "remediation uninstalled the release");
  });

  test("healthCheckExprs: an unhealthy Widget times out the upgrade, which is rolled back; with disableWait nothing is checked", async () => {
    const base = { healthCheckExprs: widgetExprs, install: { disableWait: true } };
    let state: HelmReleaseStatus = await applyHelmRelease("slow", await spec("slow", base, { chart: "widget", version: "1.0.0" }), undefined, ctx());
    assert.equal(state.status, "deployed", "install.disableWait: the Widget without status is not checked");
    const upgrade = await spec("slow", { ...base, values: { size: 2 }, upgrade: { timeout: "2s", remediation: { retries: 0, remediateLastFailure: true } } }, { chart: "widget", version: "1.0.0" });
    await assert.rejects(applyHelmRelease("slow", upgrade, state, ctx()), /upgrade failed: health check \(healthCheckExprs\) timed out after 2s waiting for Widget\/opts\/slow: current expression is not true.*\(InProgress\); fix the objects, or raise upgrade\.timeout; rolled back to revision 1/);
    // helm upgrade itself succeeded, so Helm keeps version 2 as superseded (not failed) once rolled back
    assert.deepEqual(await steps("slow"), [[1, "superseded", "widget-1.0.0"], [2, "superseded", "widget-1.0.0"], [3, "deployed", "widget-1.0.0"]]);
    await setWidgetStatus("slow", { ready: true });
    state = await applyHelmRelease("slow", upgrade, state, ctx());
    assert.deepEqual([state.revision, state.status], [4, "deployed"], "a Current Widget lets the upgrade through");
    await deleteHelmRelease("slow", upgrade, state, ctx());
  });

  test("bad strategy names, strategies helm 3 cannot follow and bad CEL fail validation naming the field", async () => {
    const cases: [Partial<HelmReleaseSpec>, RegExp][] = [
      [{ install: { strategy: { name: "Sometimes" as "RetryOnFailure" } } }, /HelmRelease "bad": install\.strategy\.name "Sometimes" must be one of RemediateOnFailure, RetryOnFailure/],
      [{ upgrade: { strategy: { name: "RetryOnFailure", retryInterval: "soon" } } }, /HelmRelease "bad": .*upgrade\.strategy\.retryInterval/],
      [{ upgrade: { chartNameChangeStrategy: "Keep" as "Reinstall" } }, /HelmRelease "bad": upgrade\.chartNameChangeStrategy "Keep" must be one of Reinstall, InPlaceUpdate/],
      [{ postRenderStrategy: "combined" as "nohooks" }, /HelmRelease "bad": postRenderStrategy "combined" is not supported: the helm 3 CLI post-renders the chart's objects, never its hooks; set postRenderStrategy to "nohooks" or remove it/],
      [{ waitStrategy: { name: "poller" as "legacy" } }, /HelmRelease "bad": waitStrategy\.name "poller" is not supported: the helm 3 CLI waits with --wait, the legacy waiter; set waitStrategy\.name to "legacy" or remove it/],
      [{ healthCheckExprs: [{ apiVersion: "example.com/v1", current: "status.ready ==" }] }, /HelmRelease "bad": healthCheckExprs\[0\]\.current is not valid CEL/],
    ];
    for (const [extra, re] of cases) await assert.rejects(planHelmRelease("bad", await spec("bad", extra), undefined, ctx()), re);
  });
});
