// HelmRelease through the real Pulumi engine with charts from a real OCI registry: an OCI
// HelmRepository install, a pushed matching version shown by preview and upgraded by up, and a second
// release from an OCIRepository (chartRef) that depends on the first; destroy uninstalls both.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { pushChart } from "../harness/helm-repo";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** PROGRAM: release "app" from an OCI HelmRepository; release "web" from an OCIRepository, after "app". */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { HelmRepository, HelmRelease, OCIRepository } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const registry = new HelmRepository("registry", { url: cfg.require("url"), insecure: true });
const app = new HelmRelease("app", {
  chart: { spec: { chart: "app", version: "1.x", sourceRef: registry } },
  namespace: "default",
  targetNamespace: "oci",
  install: { createNamespace: true },
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
const source = new OCIRepository("web", {
  url: cfg.require("url") + "/web",
  insecure: true,
  ref: { semver: "0.x" },
  layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
});
const web = new HelmRelease("web", { chartRef: source, namespace: "default", targetNamespace: "oci", dependsOn: [app], kubeconfig: cfg.requireSecret("kubeconfig") });
exports.app = app.chartVersion;
exports.web = web.chartVersion;
`;

describe("HelmRelease from an OCI registry under pulumi preview, up and destroy", () => {
  let cp: ControlPlane;
  let registry: OCIRegistry;
  let prog: PulumiProgram;
  const HR = "pulumi-nodejs:dynamic/helm:HelmRelease";
  const push = (version: string, name = "app") => pushChart({ ...appChart(version), name }, { url: registry.url("charts"), insecure: true }, scratch);

  before(async () => {
    [cp, registry] = await Promise.all([startControlPlane(), startOCIRegistry({ parent: scratch })]);
    await push("1.0.0");
    await push("0.1.0", "web");
    prog = await pulumiProgram("helm-release-oci", PROGRAM, { config: { url: { value: registry.url("charts") }, kubeconfig: { value: cp.kubeconfig, secret: true } } });
  });
  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), registry?.stop()]);
  });

  test("up installs both releases, in dependsOn order", async () => {
    const res = await prog.stack.up();
    assert.deepEqual([res.outputs.app.value, res.outputs.web.value], ["1.0.0", "0.1.0"]);
    assert.deepEqual((await helmList(cp.kubeconfigPath, "oci")).sort(), ["oci-app", "oci-web"]);
  });

  test("a pushed matching version shows in preview as an upgrade of that release only; up upgrades it", async () => {
    await push("1.1.0");
    const plans: Record<string, { action: string; chartVersion: string }> = {};
    await prog.stack.preview({
      diff: true,
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === HR) plans[md.urn.split("::").pop()!] = md.new?.inputs?.plan;
      },
    });
    assert.deepEqual([plans.app?.action, plans.app?.chartVersion, plans.web?.action], ["upgrade", "1.1.0", "none"]);
    const res = await prog.stack.up();
    assert.equal(res.outputs.app.value, "1.1.0");
    assert.deepEqual((await helmHistory(cp.kubeconfigPath, "oci-app", "oci")).map((h) => h.chart), ["app-1.0.0", "app-1.1.0"]);
  });

  test("destroy uninstalls both releases", async () => {
    await prog.stack.destroy();
    assert.deepEqual(await helmList(cp.kubeconfigPath, "oci"), []);
  });
});
