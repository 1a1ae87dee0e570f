// dependsOn and health under the real Pulumi engine: a Kustomization applies after the one it depends
// on, and a health failure fails `pulumi up` naming the object, without applying the dependent.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

/** PROGRAM: "apps" depends on "infra"; both wait for their objects; config suspendApps suspends "apps". */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const kubeconfig = cfg.requireSecret("kubeconfig");
const repo = new GitRepository("fleet", { url: cfg.require("url"), ref: { branch: "main" } });
const infra = new Kustomization("infra", { sourceRef: repo, path: "./infra", prune: true, kubeconfig, wait: true, timeout: "2m" });
const apps = new Kustomization("apps", { sourceRef: repo, path: "./apps", prune: true, kubeconfig, wait: true, dependsOn: [infra], suspend: cfg.getBoolean("suspendApps") });
exports.infraHealth = infra.health;
exports.appsHealth = apps.health;
`;

const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata:\n  value: "${value}"\n`;
const stuckDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  progressDeadlineSeconds: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - { name: app, image: example.invalid/web:1 }
`;

describe("Kustomization dependsOn and health under pulumi up", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const engineLog: string[] = [];

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: "shop" } } });
    repo = await git.createRepo("fleet");
    await repo.commit({ "infra/settings.yaml": configMap("settings", "1"), "apps/app.yaml": configMap("app", "1") });
    prog = await pulumiProgram("health", PROGRAM, { config: { url: { value: repo.fileUrl }, kubeconfig: { value: cp.kubeconfig, secret: true } } });
  });
  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("a Kustomization applies only after the one it depends on finished", async () => {
    const steps: string[] = [];
    const res = await prog.stack.up({
      onOutput: (o) => engineLog.push(o),
      onEvent: (e) => {
        const pre = e.resourcePreEvent?.metadata;
        const out = e.resOutputsEvent?.metadata;
        if (pre?.type === "pulumi-nodejs:dynamic/kustomize:Kustomization") steps.push(`start ${pre.urn.split("::").pop()}`);
        if (out?.type === "pulumi-nodejs:dynamic/kustomize:Kustomization") steps.push(`done ${out.urn.split("::").pop()}`);
      },
    });
    assert.deepEqual(steps, ["start infra", "done infra", "start apps", "done apps"], engineLog.join(""));
    assert.deepEqual(res.outputs.infraHealth.value, { status: "Current", message: "1 object(s) healthy", checked: 1 });
    assert.deepEqual(res.outputs.appsHealth.value, { status: "Current", message: "1 object(s) healthy", checked: 1 });
  });

  test("a health failure fails pulumi up naming the object, and the dependent is not applied", async () => {
    await repo.commit({ "infra/web.yaml": stuckDeployment, "apps/app.yaml": configMap("app", "2") });
    const started = Date.now();
    const err = await prog.stack.up({ onOutput: (o) => engineLog.push(o) }).then(() => undefined, (e: Error) => e);
    assert.ok(err, "up fails");
    assert.ok(Date.now() - started < 100_000, "fails fast, before the 2m timeout");
    assert.match(err.message, /Kustomization "infra": health check failed: Deployment\/shop\/web: progress deadline exceeded.*\(Failed\); fix the objects and apply again/);
    assert.equal((await apps.readNamespacedDeployment({ name: "web", namespace: "shop" })).spec?.progressDeadlineSeconds, 1, "the Deployment itself was applied");
    assert.equal((await core.readNamespacedConfigMap({ name: "app", namespace: "shop" })).data?.value, "1", "apps waits for infra");
  });

  test("a suspended Kustomization previews no change and applies nothing until resumed", async () => {
    await apps.deleteNamespacedDeployment({ name: "web", namespace: "shop" });
    await repo.commit({ "infra/web.yaml": null, "apps/app.yaml": configMap("app", "3") });
    await prog.setConfig({ suspendApps: { value: "true" } });
    await prog.stack.up({ onOutput: (o) => engineLog.push(o) });
    const app = () => core.readNamespacedConfigMap({ name: "app", namespace: "shop" }).then((c) => c.data?.value);
    assert.equal(await app(), "1", "suspended: the new revision is not applied");
    const pv = await prog.stack.preview({ diff: true, onOutput: (o) => engineLog.push(o) });
    assert.equal(pv.changeSummary.update ?? 0, 0, `a suspended Kustomization shows no change: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    await prog.setConfig({ suspendApps: { value: "false" } });
    const res = await prog.stack.up({ onOutput: (o) => engineLog.push(o) });
    assert.equal(await app(), "3", "resumed: the current revision is applied");
    assert.equal(res.outputs.appsHealth.value.status, "Current");
  });
});

