// HelmRelease with charts from a real OCI registry (docker-registry, charts pushed by the real helm):
// an OCI HelmRepository (install, then an upgrade when a matching version is pushed), chartRef to an
// OCIRepository, post-renderers (kustomize patches and images) with commonMetadata, the crds policy,
// and the driftDetection opt-out annotation.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease } from "../../src/core/reconcile/helm-release";
import { planOCIRepository } from "../../src/core/reconcile/oci-repository";
import type { HelmReleaseSpec } from "../../src/core/helm/types";
import type { OCIRepositorySpec } from "../../src/core/source/oci-types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory, helmList } from "../harness/helm-charts";
import { pushChart } from "../harness/helm-repo";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";
import { toolsBin } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.PATH = `${toolsBin()}:${process.env.PATH}`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
const DRIFT_OFF = "helm.toolkit.fluxcd.io/driftDetection: disabled";
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.0
`;

describe("HelmRelease with charts from an OCI registry", () => {
  let cp: ControlPlane;
  let registry: OCIRegistry;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });
  const push = (version: string, files: Record<string, string> = {}, name = "app") => {
    const chart = appChart(version);
    return pushChart({ ...chart, name, files: { ...chart.files, ...files } }, { url: registry.url("charts"), insecure: true }, scratch);
  };

  before(async () => {
    [cp, registry] = await Promise.all([startControlPlane(), startOCIRegistry({ parent: scratch })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await push("1.0.0");
    await push("0.1.0", { "crds/gadget.yaml": CRD, "templates/deployment.yaml": DEPLOYMENT }, "web");
  });
  after(async () => {
    await Promise.all([cp?.stop(), registry?.stop()]);
  });

  test("an OCI HelmRepository chart installs, and a newly pushed matching version upgrades it", async () => {
    const spec: HelmReleaseSpec = {
      chart: { spec: { chart: "app", version: "1.x", sourceRef: { kind: "HelmRepository", name: "registry", spec: { url: registry.url("charts"), insecure: true }, artifact: undefined } } },
      namespace: "default",
      targetNamespace: "oci",
      install: { createNamespace: true },
      cluster: { kubeconfig: cp.kubeconfig },
    };
    const first = await applyHelmRelease("app", spec, undefined, ctx());
    assert.deepEqual([first.releaseName, first.revision, first.chartVersion], ["oci-app", 1, "1.0.0"]);
    await push("1.1.0");
    const plan = await planHelmRelease("app", spec, first, ctx());
    assert.deepEqual([plan.action, plan.chartVersion, plan.objects], ["upgrade", "1.1.0", { ConfigMap: 1, Service: 1 }]);
    const second = await applyHelmRelease("app", spec, first, ctx());
    assert.deepEqual([second.revision, second.chartVersion], [2, "1.1.0"]);
    assert.deepEqual((await helmHistory(cp.kubeconfigPath, "oci-app", "oci")).map((h) => h.chart), ["app-1.0.0", "app-1.1.0"]);
    await deleteHelmRelease("app", spec, second, ctx());
    assert.deepEqual(await helmList(cp.kubeconfigPath, "oci"), []);
  });

  test("chartRef to an OCIRepository; postRenderers patch and re-tag, then commonMetadata and origin labels; crds CreateReplace", async () => {
    const ociSpec: OCIRepositorySpec = {
      url: `${registry.url("charts")}/web`,
      insecure: true,
      ref: { semver: "0.x" },
      layerSelector: { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", operation: "copy" },
    };
    const { artifact } = await planOCIRepository("web", ociSpec, undefined, ctx());
    const spec: HelmReleaseSpec = {
      chartRef: { kind: "OCIRepository", name: "web", spec: ociSpec, artifact },
      namespace: "default",
      targetNamespace: "default",
      releaseName: "web",
      install: { crds: "CreateReplace", disableWait: true },
      postRenderers: [
        {
          kustomize: {
            patches: [
              { patch: "- op: replace\n  path: /spec/replicas\n  value: 3\n", target: { kind: "Deployment" } },
              { patch: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  annotations:\n    ${DRIFT_OFF}\n`, target: { kind: "ConfigMap" } },
            ],
            images: [{ name: "nginx", newTag: "1.27" }],
          },
        },
      ],
      commonMetadata: { labels: { team: "shop" }, annotations: { owner: "platform" } },
      cluster: { kubeconfig: cp.kubeconfig },
    };
    const plan = await planHelmRelease("web", spec, undefined, ctx());
    assert.deepEqual([plan.action, plan.chartVersion, plan.objects], ["install", "0.1.0", { ConfigMap: 1, Deployment: 1, Service: 1 }]);
    const state = await applyHelmRelease("web", spec, undefined, ctx());
    assert.equal(state.status, "deployed");
    const d = await apps.readNamespacedDeployment({ name: "web", namespace: "default" });
    assert.equal(d.spec?.replicas, 3, "the kustomize patch applied");
    assert.equal(d.spec?.template.spec?.containers[0].image, "nginx:1.27", "the image re-tagged");
    assert.deepEqual([d.metadata?.labels?.team, d.metadata?.annotations?.owner, d.metadata?.labels?.["helm.toolkit.fluxcd.io/name"]], ["shop", "platform", "web"]);
    const crds = kcApi(cp).makeApiClient(k8s.ApiextensionsV1Api);
    assert.equal((await crds.readCustomResourceDefinition({ name: "gadgets.example.com" })).spec.group, "example.com");
    const cm = await core.readNamespacedConfigMap({ name: "web", namespace: "default" });
    assert.equal(cm.metadata?.labels?.team, "shop");
    // Drift of an object annotated helm.toolkit.fluxcd.io/driftDetection: disabled is not looked at.
    assert.equal(cm.metadata?.annotations?.["helm.toolkit.fluxcd.io/driftDetection"], "disabled");
    const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap({ name: "web", namespace: "default", body: { data: { color: "hand-made" } }, fieldManager: "intruder" }, merge);
    await apps.patchNamespacedDeployment({ name: "web", namespace: "default", body: { spec: { replicas: 5 } }, fieldManager: "intruder" }, merge);
    const drift = await planHelmRelease("web", { ...spec, driftDetection: { mode: "enabled" } }, state, ctx());
    assert.deepEqual(drift.drifted, ["Deployment/default/web: spec"]);
    const changed = await planHelmRelease("web", { ...spec, commonMetadata: { labels: { team: "checkout" } } }, state, ctx());
    assert.deepEqual([changed.action, changed.reason], ["upgrade", "postRenderers or commonMetadata changed"]);
    await deleteHelmRelease("web", spec, state, ctx());
  });
});

function kcApi(cp: ControlPlane): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cp.kubeconfig);
  return kc;
}
