// HelmRelease cluster access and chart sources, against a real API server with RBAC on: serviceAccountName
// (helm acts as the service account: without a RoleBinding the install is forbidden, naming it), a
// remote kubeConfig.secretRef (a kubeconfig Secret for the same API server with another user, a service
// account token: the release is made with that identity), and a chart from a Bucket (real versitygw)
// through the HelmChart the release makes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import YAML from "yaml";
import { ArtifactStore } from "../../src/core/artifact/store";
import type { Logger } from "../../src/core/log";
import { planBucket } from "../../src/core/reconcile/bucket";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease } from "../../src/core/reconcile/helm-release";
import { planHelmRepository } from "../../src/core/reconcile/helm-repository";
import type { HelmReleaseSpec } from "../../src/core/helm/types";
import type { BucketSpec } from "../../src/core/source/bucket-types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { appChart, helmHistory } from "../harness/helm-charts";
import { chartFiles, startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { startS3Server, type S3Server } from "../harness/s3-server";
import { toolsBin } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.PATH = `${toolsBin()}:${process.env.PATH}`;

describe("HelmRelease cluster access and chart sources", () => {
  let cp: ControlPlane;
  let charts: HelmRepoServer;
  let s3: S3Server;
  let core: k8s.CoreV1Api;
  let rbac: k8s.RbacAuthorizationV1Api;
  const log: Logger = { info: () => {}, debug: () => {}, warn: () => {} };
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log });

  /** spec releases chart "app" ^1.0.0 from the HTTP repository as release `name` into namespace target. */
  const spec = async (name: string, target: string, extra: Partial<HelmReleaseSpec> = {}): Promise<HelmReleaseSpec> => {
    const repoSpec = { url: charts.url };
    const { artifact } = await planHelmRepository("charts", repoSpec, undefined, ctx());
    return {
      chart: { spec: { chart: "app", version: "^1.0.0", sourceRef: { kind: "HelmRepository", name: "charts", spec: repoSpec, artifact } } },
      namespace: "default",
      targetNamespace: target,
      releaseName: name,
      cluster: { kubeconfig: cp.kubeconfig },
      ...extra,
    };
  };
  /** bindAdmin lets a service account do anything in a namespace (ClusterRole admin). */
  const bindAdmin = (namespace: string, sa: { name: string; namespace: string }) =>
    rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name: `${sa.name}-admin` }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" }, subjects: [{ kind: "ServiceAccount", ...sa }] },
    });

  before(async () => {
    [cp, charts, s3] = await Promise.all([startControlPlane(), startHelmRepo({ dir: scratch }), startS3Server({ parent: scratch })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await charts.addChart(appChart("1.0.0"));
    for (const n of ["team", "edge", "from-bucket"]) await core.createNamespace({ body: { metadata: { name: n } } });
  });
  after(async () => {
    await Promise.all([cp?.stop(), charts?.stop(), s3?.stop()]);
  });

  test("serviceAccountName: helm acts as the service account; without a RoleBinding the install is forbidden naming it, with one it installs", async () => {
    await core.createNamespacedServiceAccount({ namespace: "default", body: { metadata: { name: "deployer" } } });
    const s = await spec("team-web", "team", { serviceAccountName: "deployer" });
    await assert.rejects(planHelmRelease("team-web", s, undefined, ctx()), (err: Error) => {
      assert.match(err.message, /^HelmRelease "team-web": .*"system:serviceaccount:default:deployer" cannot list resource "secrets" .* in the namespace "team"; grant that permission to the identity helm acts as \(serviceAccountName, else the defaultServiceAccount, else the kubeconfig user; on a remote cluster, the user of kubeConfig\)$/);
      return true;
    });
    assert.deepEqual(await helmHistory(cp.kubeconfigPath, "team-web", "team"), [], "nothing was installed");
    await bindAdmin("team", { name: "deployer", namespace: "default" });
    const made = await applyHelmRelease("team-web", s, undefined, ctx());
    assert.deepEqual([made.revision, made.status], [1, "deployed"]);
    assert.equal((await core.readNamespacedConfigMap({ name: "team-web", namespace: "team" })).data?.color, "blue");
    await deleteHelmRelease("team-web", s, made, ctx());
    assert.deepEqual(await helmHistory(cp.kubeconfigPath, "team-web", "team"), []);
  });

  test("kubeConfig.secretRef: the release is made with the Secret's kubeconfig and its identity, not the management cluster's", async () => {
    // Given a kubeconfig for the same API server whose user is service account edge-auth/remote (a token)
    await core.createNamespace({ body: { metadata: { name: "edge-auth" } } });
    await core.createNamespacedServiceAccount({ namespace: "edge-auth", body: { metadata: { name: "remote" } } });
    const token = (await core.createNamespacedServiceAccountToken({ name: "remote", namespace: "edge-auth", body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status?.token;
    assert.ok(token);
    const kubeconfig = YAML.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "edge", cluster: { server: cp.server, "certificate-authority-data": Buffer.from(cp.caPem).toString("base64") } }],
      users: [{ name: "remote", user: { token } }],
      contexts: [{ name: "edge", context: { cluster: "edge", user: "remote" } }],
      "current-context": "edge",
    });
    await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "edge-kubeconfig" }, stringData: { value: kubeconfig } } });
    const s = await spec("edge-web", "edge", { kubeConfig: { secretRef: { name: "edge-kubeconfig" } } });
    // When that user may not write the namespace, then the release fails naming it (the admin user could)
    await assert.rejects(applyHelmRelease("edge-web", s, undefined, ctx()), /"system:serviceaccount:edge-auth:remote" cannot list resource "secrets" .* in the namespace "edge"/);
    // When it may, then the release is made, as that user
    await bindAdmin("edge", { name: "remote", namespace: "edge-auth" });
    const made = await applyHelmRelease("edge-web", s, undefined, ctx());
    assert.deepEqual([made.revision, made.status], [1, "deployed"]);
    assert.deepEqual((await helmHistory(cp.kubeconfigPath, "edge-web", "edge")).map((h) => h.status), ["deployed"]);
    assert.equal((await core.readNamespacedConfigMap({ name: "edge-web", namespace: "edge" })).data?.color, "blue");
    await deleteHelmRelease("edge-web", s, made, ctx());
  });

  test("a chart stored in a Bucket is released through the HelmChart the HelmRelease makes", async () => {
    await s3.createBucket("charts");
    for (const [key, body] of Object.entries(chartFiles({ name: "web", version: "1.4.0", values: "color: green\n" }, "charts/web"))) {
      await s3.put("charts", key, body);
    }
    const bucket: BucketSpec = { bucketName: "charts", endpoint: s3.endpoint, insecure: true, auth: { accessKey: s3.accessKey, secretKey: s3.secretKey } };
    const { artifact } = await planBucket("charts", bucket, undefined, ctx());
    const s: HelmReleaseSpec = {
      chart: { spec: { chart: "./charts/web", sourceRef: { kind: "Bucket", name: "charts", spec: bucket, artifact } } },
      namespace: "default",
      targetNamespace: "from-bucket",
      cluster: { kubeconfig: cp.kubeconfig },
      values: { color: "teal" },
    };
    const plan = await planHelmRelease("web", s, undefined, ctx());
    assert.deepEqual([plan.action, plan.chart, plan.chartVersion, plan.helmChart?.artifact?.revision], ["install", "web", "1.4.0", "1.4.0"]);
    const made = await applyHelmRelease("web", s, { helmChart: plan.helmChart }, ctx());
    assert.deepEqual([made.revision, made.status, made.chartVersion], [1, "deployed", "1.4.0"]);
    assert.equal((await core.readNamespacedConfigMap({ name: "from-bucket-web", namespace: "from-bucket" })).data?.color, "teal");
    assert.equal((await planHelmRelease("web", s, made, ctx())).action, "none");
    await deleteHelmRelease("web", s, made, ctx());
  });
});
