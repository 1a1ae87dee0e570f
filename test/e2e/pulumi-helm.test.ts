// HelmRepository + HelmChart under the real Pulumi engine: preview shows a new chart revision when a
// matching version is published, nothing when nothing changed; up records the artifact.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { makeTestCa } from "../harness/pki";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** PROGRAM is the test's Pulumi program: a HelmRepository over HTTPS with auth and a HelmChart from it. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { HelmRepository, HelmChart } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new HelmRepository("charts", {
  url: cfg.require("url"),
  auth: cfg.requireSecretObject("auth"),
  tls: { caCert: cfg.require("caCert") },
});
const chart = new HelmChart("app", { sourceRef: repo, chart: "app", version: cfg.get("version") || ">= 1.0.0, < 2.0.0" });
exports.indexRevision = repo.artifact.revision;
exports.chartRevision = chart.artifact.revision;
exports.chartDigest = chart.artifact.digest;
`;

describe("HelmRepository + HelmChart under pulumi preview and up", () => {
  let charts: HelmRepoServer;
  let prog: PulumiProgram;
  const engineLog: string[] = [];
  const HELM_CHART = "pulumi-nodejs:dynamic/source:HelmChart";

  /** preview runs `pulumi preview --diff` and returns the HelmChart's planned artifact too. */
  const preview = async () => {
    let artifact: { revision: string; digest: string } | undefined;
    const res = await prog.stack.preview({
      diff: true,
      onOutput: (o) => engineLog.push(o),
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === HELM_CHART) artifact = md.new?.inputs?.artifact;
      },
    });
    return { ...res, artifact };
  };
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });

  before(async () => {
    const ca = await makeTestCa(mkdtempSync(join(scratch, "pki-")));
    charts = await startHelmRepo({ dir: scratch, auth: true, tls: await ca.issue("charts", "server") });
    await charts.addChart({ name: "app", version: "1.0.0" });
    await charts.addChart({ name: "app", version: "2.0.0" });
    prog = await pulumiProgram("helm", PROGRAM, {
      config: {
        url: { value: charts.url },
        auth: { value: JSON.stringify({ username: charts.username, password: charts.password }), secret: true },
        caCert: { value: ca.caPem },
      },
    });
  });
  after(async () => {
    await prog?.cleanup();
    await charts?.stop();
  });

  test("up stores the chart matching the range and records it; no credential reaches plain state", async () => {
    const res = await up();
    assert.equal(res.outputs.chartRevision.value, "1.0.0");
    assert.match(res.outputs.indexRevision.value, /^sha256:[0-9a-f]{64}$/);
    const store = new ArtifactStore(join(prog.dir, ".state", "cache", "artifacts"));
    assert.ok((await stat(store.path(res.outputs.chartDigest.value))).size > 0, "the chart is in the store");
    const state = await prog.rawState();
    assert.ok(state.includes(res.outputs.chartDigest.value), "the state records the artifact");
    assert.equal(state.includes(charts.password), false, "the password never reaches plain state");
    assert.equal(engineLog.join("").includes(charts.password), false, "nor the engine's output");
  });

  test("preview shows no change when nothing changed", async () => {
    const pv = await preview();
    assert.equal(pv.changeSummary.update ?? 0, 0, JSON.stringify(pv.changeSummary));
    assert.equal(pv.changeSummary.create ?? 0, 0, JSON.stringify(pv.changeSummary));
    assert.equal(pv.artifact?.revision, "1.0.0");
  });

  test("a new version matching the range shows in preview as a new chart revision, and up records it", async () => {
    await charts.addChart({ name: "app", version: "1.1.0" });
    const downloads = () => charts.requests.filter((r) => r.path.endsWith("app-1.1.0.tgz")).length;
    const pv = await preview();
    assert.equal(pv.artifact?.revision, "1.1.0");
    assert.equal(pv.changeSummary.update, 2, `the index and the chart change: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.ok(pv.stdout.includes("1.1.0"), "preview --diff shows the new revision");
    const res = await up();
    assert.equal(res.outputs.chartRevision.value, "1.1.0");
    const after = downloads();
    assert.equal((await preview()).changeSummary.update ?? 0, 0, "no change after up");
    assert.equal(downloads(), after, "an unchanged chart is not downloaded again");
  });

  test("a version outside the repository fails the preview naming the resource", async () => {
    await prog.setConfig({ version: { value: ">= 9.0.0" } });
    await assert.rejects(preview(), /HelmChart "app": HelmRepository "charts": no version of chart "app" matches version ">= 9.0.0"/);
    await prog.setConfig({ version: { value: ">= 1.0.0, < 2.0.0" } });
  });
});
