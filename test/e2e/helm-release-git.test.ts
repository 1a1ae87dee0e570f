// HelmRelease with a chart inside a GitRepository: through spec.chart (a HelmChart made for the
// release, named `<namespace>-<name>`) and through chartRef to a HelmChart. A new commit that bumps the
// chart's version upgrades the release. Helm's temp dirs are all removed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { planHelmChart } from "../../src/core/reconcile/helm-chart";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease } from "../../src/core/reconcile/helm-release";
import type { GitRepositoryReference } from "../../src/core/source/git-types";
import type { HelmReleaseSpec } from "../../src/core/helm/types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { chartFiles } from "../harness/helm-repo";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { toolsBin } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.PATH = `${toolsBin()}:${process.env.PATH}`;
/** TMP is the temp dir of this process's helm sessions, checked for leftovers. */
const TMP = join(scratch, "tmp");
mkdirSync(TMP);

describe("HelmRelease with a chart from a GitRepository", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });
  const source = async (): Promise<GitRepositoryReference> => {
    const spec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("fleet", spec, undefined, ctx());
    return { kind: "GitRepository", name: "fleet", spec, artifact };
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    repo = await git.createRepo("fleet");
    await repo.commit(chartFiles(appChart("1.0.0"), "charts/app"));
    process.env.TMPDIR = TMP;
  });
  after(async () => {
    delete process.env.TMPDIR;
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("spec.chart from a GitRepository path installs, and a commit bumping the chart version upgrades", async () => {
    const spec = async (): Promise<HelmReleaseSpec> => ({
      chart: { spec: { chart: "./charts/app", sourceRef: await source() } },
      namespace: "default",
      targetNamespace: "default",
      releaseName: "git-app",
      cluster: { kubeconfig: cp.kubeconfig },
    });
    const first = await applyHelmRelease("app", await spec(), undefined, ctx());
    assert.deepEqual([first.revision, first.chartVersion], [1, "1.0.0"]);
    assert.equal(first.helmChart?.artifact?.revision, "1.0.0", "the HelmChart default-app was made for the release");
    await repo.commit(chartFiles(appChart("1.1.0"), "charts/app"));
    const plan = await planHelmRelease("app", await spec(), first, ctx());
    assert.deepEqual([plan.action, plan.reason], ["upgrade", "chart app-1.0.0 → app-1.1.0"]);
    const second = await applyHelmRelease("app", await spec(), first, ctx());
    assert.deepEqual((await helmHistory(cp.kubeconfigPath, "git-app", "default")).map((h) => [h.revision, h.chart]), [[1, "app-1.0.0"], [2, "app-1.1.0"]]);
    await deleteHelmRelease("app", await spec(), second, ctx());
    assert.deepEqual(await helmList(cp.kubeconfigPath, "default"), []);
  });

  test("chartRef to a HelmChart installs its artifact", async () => {
    const chartSpec = { chart: "charts/app", sourceRef: await source() };
    const { artifact } = await planHelmChart("app-chart", chartSpec, undefined, ctx());
    const spec: HelmReleaseSpec = { chartRef: { kind: "HelmChart", name: "app-chart", spec: chartSpec, artifact }, namespace: "default", cluster: { kubeconfig: cp.kubeconfig } };
    const state = await applyHelmRelease("ref", spec, undefined, ctx());
    assert.deepEqual([state.releaseName, state.namespace, state.chartVersion, state.status], ["ref", "default", "1.1.0", "deployed"]);
    await deleteHelmRelease("ref", spec, state, ctx());
  });

  test("every helm session's temp dir (kubeconfig, values, post-renderer) is removed", () => {
    assert.deepEqual(readdirSync(TMP).filter((n) => n.startsWith("fluxiac-helm-")), []);
  });
});
