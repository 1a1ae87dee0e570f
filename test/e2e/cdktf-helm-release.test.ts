// The HelmRelease construct under the real cdktf CLI and terraform 1.11, against a real chart repository
// (basic auth; the password is a sensitive Terraform variable) and a real control plane: cdktf deploy
// installs, cdktf diff shows a new chart version and new values, deploy upgrades, destroy uninstalls.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installProvider } from "../../src/terraform/install";
import { cdktfProject, cdktfScratch, output, type CdktfProject } from "../harness/cdktf";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";

/** SCRATCH holds every project of this file (inside the repository, so apps load fluxiac by name); CHARTS the chart repository's files. Both removed at the end. */
const SCRATCH = cdktfScratch("helm-release-test");
const CHARTS = mkdtempSync(join(tmpdir(), "fluxiac-cdktf-hr-"));
after(async () => {
  await rm(SCRATCH, { recursive: true, force: true });
  rmSync(CHARTS, { recursive: true, force: true });
});

const NS = "shop";

/** APP is a HelmRepository and a HelmRelease whose chart version and color come from the environment. */
const APP = `
const { App, TerraformStack, TerraformVariable, TerraformOutput } = require("cdktf");
const { FluxiacProvider, HelmRepository, HelmRelease } = require("fluxiac/cdktf");
const app = new App();
const stack = new TerraformStack(app, "charts");
new FluxiacProvider(stack, "fluxiac", { configPath: process.env.KUBECONFIG });
const password = new TerraformVariable(stack, "charts_password", { type: "string", sensitive: true });
const charts = new HelmRepository(stack, "charts", { url: process.env.CHARTS_URL, auth: { username: process.env.CHARTS_USERNAME, password: password.stringValue } });
const web = new HelmRelease(stack, "web", {
  chart: { spec: { chart: "app", version: process.env.CHART_VERSION, sourceRef: charts } },
  namespace: "default",
  targetNamespace: "${NS}",
  install: { createNamespace: true },
  values: { color: process.env.COLOR },
});
new TerraformOutput(stack, "chart_version", { value: web.chartVersion });
new TerraformOutput(stack, "status", { value: web.status });
app.synth();
`;

describe("HelmRelease under cdktf deploy, diff and destroy", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let project: CdktfProject;

  const cdktf = async (env: Record<string, string>, ...args: string[]) => {
    const res = await project.cdktf([...args, "--skip-provider-lock"], env);
    assert.equal(res.code, 0, project.log.join("\n"));
    return output(res);
  };
  const history = () => helmHistory(cp.kubeconfigPath, "shop-web", NS);

  before(async () => {
    [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo({ auth: true, dir: CHARTS })]);
    await charts.addChart(appChart("1.0.0"));
    await charts.addChart(appChart("1.1.0"));
    project = await cdktfProject(SCRATCH, "charts", {
      files: {
        "cdktf.json": JSON.stringify({ language: "typescript", app: "node main.js", projectId: "fluxiac-e2e-helm", sendCrashReports: "false" }),
        "main.js": APP,
      },
      env: { KUBECONFIG: cp.kubeconfigPath, CHARTS_URL: charts.url, CHARTS_USERNAME: charts.username, TF_VAR_charts_password: charts.password },
    });
    await installProvider({ dir: project.pluginDir });
  });

  after(async () => {
    await project?.cleanup();
    await Promise.all([cp?.stop(), charts?.stop()]);
  });

  test("cdktf deploy installs the release; the password is neither printed nor synthesized", async () => {
    const out = await cdktf({ CHART_VERSION: "1.0.0", COLOR: "blue" }, "deploy", "--auto-approve");
    assert.deepEqual((await history()).map((h) => [h.revision, h.status, h.chart]), [[1, "deployed", "app-1.0.0"]]);
    assert.equal(out.includes(charts.password), false);
    assert.equal(JSON.stringify(await project.synthesized("charts")).includes(charts.password), false);
  });

  test("cdktf diff shows a new chart version and new values; cdktf deploy upgrades", async () => {
    const env = { CHART_VERSION: "1.1.0", COLOR: "green" };
    const diff = await cdktf(env, "diff");
    assert.match(diff, /chart_version\s+= "1\.0\.0" -> "1\.1\.0"/, `the diff shows the chart version:\n${diff}`);
    assert.match(diff, /~ color = "blue" -> "green"/, `and the changed value:\n${diff}`);
    assert.match(diff, /Plan: 0 to add, 1 to change, 0 to destroy/);
    assert.equal((await history()).length, 1, "diff changed nothing");
    await cdktf(env, "deploy", "--auto-approve");
    const last = (await history()).at(-1);
    assert.deepEqual([last?.revision, last?.status, last?.chart], [2, "deployed", "app-1.1.0"]);
    assert.match(await cdktf(env, "diff"), /No changes/);
  });

  test("cdktf destroy uninstalls the release", async () => {
    await cdktf({ CHART_VERSION: "1.1.0", COLOR: "green" }, "destroy", "--auto-approve");
    assert.deepEqual(await helmList(cp.kubeconfigPath, NS), []);
  });
});
