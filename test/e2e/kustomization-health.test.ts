// Kustomization health, ordering and access against real API servers: wait, healthChecks, CEL, timeouts
// and fail-fast; dependsOn; a remote cluster through a kubeConfig Secret; serviceAccountName and the
// connection's defaultServiceAccount; suspend.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { PartialFailureError } from "../../src/core/errors";
import { silentLogger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { applyKustomization, planKustomization, type KustomizationSpec, type KustomizationStatus } from "../../src/core/reconcile/kustomization";
import type { KustomizationAppliedState } from "../../src/core/reconcile/kustomization-health";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { widgetCrd } from "../harness/manifests";

const CRD = widgetCrd({ withStatus: true });
const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const widget = (name: string, teeth: number) => `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  teeth: ${teeth}\n`;
const configMap = (name: string, namespace: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  k: v\n`;
const deployment = (name: string, replicas: number, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
  replicas: ${replicas}${extra}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - { name: app, image: example.invalid/app:1 }
`;

describe("Kustomization health, ordering and access", () => {
  let cp: ControlPlane;
  let remote: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let scratch: string;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });

  const spec = async (path: string, extra: Partial<KustomizationSpec> = {}): Promise<KustomizationSpec> => {
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("fleet", gitSpec, undefined, ctx());
    return { sourceRef: { kind: "GitRepository", name: "fleet", spec: gitSpec, artifact }, path, prune: true, cluster: { kubeconfig: cp.kubeconfig }, ...extra };
  };
  const writeWidgetStatus = (name: string, status: Record<string, unknown>) =>
    custom.patchNamespacedCustomObjectStatus(
      { group: "example.com", version: "v1", namespace: "shop", plural: "widgets", name, body: { status } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  const generation = async (name: string) =>
    ((await custom.getNamespacedCustomObject({ group: "example.com", version: "v1", namespace: "shop", plural: "widgets", name })) as { metadata: { generation: number } }).metadata.generation;
  const exists = (api: k8s.CoreV1Api, name: string, namespace: string) =>
    api.readNamespacedConfigMap({ name, namespace }).then(() => true, (e) => (e.code === 404 ? false : Promise.reject(e)));
  /** rejectsWith awaits a rejected apply and returns its error for further assertions. */
  const rejectsWith = async <E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> => {
    const err = await p.then(() => assert.fail("expected the apply to fail"), (e: unknown) => e);
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err as E;
  };

  before(async () => {
    [cp, remote, git] = await Promise.all([startControlPlane(), startControlPlane(), startGitServer()]);
    scratch = await mkdtemp(join(tmpdir(), "fluxiac-health-"));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "flux-system" } } });
    repo = await git.createRepo("fleet");
    await repo.commit({
      "crds/crd.yaml": CRD,
      "crds/ns.yaml": ns("shop"),
      "widgets/gear.yaml": widget("gear", 12),
      "widgets/cog.yaml": widget("cog", 8),
      "widgets/ghost.yaml": widget("ghost", 0).replace("  namespace: shop\n", "  namespace: shop\n  annotations: { kustomize.toolkit.fluxcd.io/reconcile: disabled }\n"),
      "rollout/web.yaml": deployment("web", 1, "\n  progressDeadlineSeconds: 1"),
      "checks/idle.yaml": deployment("idle", 0),
      "checks/stuck.yaml": widget("stuck", 1),
      "remote/ns.yaml": ns("edge"),
      "remote/cm.yaml": configMap("beacon", "edge"),
    });
    await applyKustomization("crds", await spec("./crds"), undefined, ctx());
  });
  after(async () => {
    await Promise.all([cp?.stop(), remote?.stop(), git?.stop()]);
    await rm(scratch, { recursive: true, force: true });
  });

  let widgets: KustomizationStatus;

  test("wait succeeds once the controller's status catches up with the new generation", async () => {
    const first = await applyKustomization("widgets", await spec("./widgets", { wait: true }), undefined, ctx());
    assert.deepEqual(first.health, { status: "Current", message: "2 object(s) healthy", checked: 2 }, "custom resources without status are Current, as kstatus says");
    assert.equal(first.changeSet.entries.find((e) => e.id === "shop_ghost_example.com_Widget")?.action, "skipped", "ghost opts out of reconciliation: never applied, so never checked");
    await writeWidgetStatus("gear", { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "Turning", message: "gear is turning" }] });
    await repo.commit({ "widgets/gear.yaml": widget("gear", 14) });
    const s = await spec("./widgets", { wait: true, timeout: "30s" });
    const started = Date.now();
    const applying = applyKustomization("widgets", s, { inventory: first.inventory, lastAppliedRevision: first.lastAppliedRevision }, ctx());
    while ((await generation("gear")) !== 2) await new Promise((r) => setTimeout(r, 100));
    const applied = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await Promise.race([applying.then(() => "done"), Promise.resolve("waiting")]), "waiting", "the apply waits for the controller");
    await writeWidgetStatus("gear", { observedGeneration: 2, conditions: [{ type: "Ready", status: "True", reason: "Turning", message: "gear is turning" }] });
    const written = Date.now();
    const result = await applying;
    assert.ok(Date.now() - written < 3000, `the wait ended soon after the status was written (${Date.now() - written} ms)`);
    assert.ok(written - applied >= 1500 && Date.now() - started < 30_000);
    assert.equal(result.health.status, "Current");
    assert.equal(result.lastAppliedRevision, s.sourceRef.artifact!.revision);
    widgets = { inventory: result.inventory, lastAppliedRevision: result.lastAppliedRevision };
  });

  test("a health check that times out names the object and its message, and records the applied inventory", async () => {
    await writeWidgetStatus("cog", { conditions: [{ type: "Ready", status: "False", reason: "Jammed", message: "a tooth is missing" }] });
    await repo.commit({ "widgets/cog.yaml": widget("cog", 9) });
    const s = await spec("./widgets", { wait: true, timeout: "2s" });
    const started = Date.now();
    const err = await rejectsWith(applyKustomization("widgets", s, widgets, ctx()), PartialFailureError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1500 && elapsed < 8000, `gave up at the timeout (${elapsed} ms)`);
    assert.equal(err.reason, "HealthCheckFailed");
    assert.match(err.message, /^Kustomization "widgets": health check timed out after 2s waiting for Widget\/shop\/cog: not Ready: Jammed: a tooth is missing \(InProgress\); fix the objects, or raise timeout/);
    assert.doesNotMatch(err.message, /gear/, "healthy objects are not named");
    const state = err.state as KustomizationAppliedState;
    assert.deepEqual(state.inventory, widgets.inventory);
    assert.equal(state.lastAppliedRevision, widgets.lastAppliedRevision, "the revision counts as applied only once healthy, as in Flux");
    assert.equal(state.lastAttemptedRevision, s.sourceRef.artifact!.revision);
    assert.equal(state.health.status, "InProgress");
  });

  test("a Deployment past its progress deadline fails fast, long before the timeout", async () => {
    const started = Date.now();
    const err = await rejectsWith(applyKustomization("rollout", await spec("./rollout", { wait: true, timeout: "2m" }), undefined, ctx()), PartialFailureError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 60_000, `failed fast (${elapsed} ms)`);
    assert.match(err.message, /^Kustomization "rollout": health check failed: Deployment\/shop\/web: progress deadline exceeded: .*web.* \(Failed\); fix the objects and apply again/);
    assert.deepEqual((err.state as KustomizationAppliedState).inventory.entries.map((e) => e.id), ["shop_web_apps_Deployment"]);
  });

  test("healthChecks check only the named objects; healthCheckExprs decide custom kinds in CEL", async () => {
    const checks = [
      { apiVersion: "apps/v1", kind: "Deployment", name: "idle", namespace: "shop" },
      { apiVersion: "example.com/v1", kind: "Widget", name: "stuck", namespace: "shop" },
    ];
    const exprs = [{ apiVersion: "example.com/v1", kind: "Widget", current: "status.phase == 'Running'", failed: "status.phase == 'Broken'" }];
    const first = await rejectsWith(applyKustomization("checks", await spec("./checks", { healthChecks: checks, healthCheckExprs: exprs, timeout: "2s" }), undefined, ctx()), PartialFailureError);
    assert.match(first.message, /timed out after 2s waiting for Widget\/shop\/stuck: current expression is not true \(.*phase.*\): status.phase == 'Running'/);
    assert.doesNotMatch(first.message, /idle/, "the Deployment with 0 replicas became available");
    await writeWidgetStatus("stuck", { phase: "Running" });
    const ok = await applyKustomization("checks", await spec("./checks", { healthChecks: checks, healthCheckExprs: exprs, timeout: "20s" }), undefined, ctx());
    assert.deepEqual(ok.health, { status: "Current", message: "2 object(s) healthy", checked: 2 });
    await writeWidgetStatus("stuck", { phase: "Broken" });
    const started = Date.now();
    const broken = await rejectsWith(applyKustomization("checks", await spec("./checks", { healthChecks: checks, healthCheckExprs: exprs, timeout: "1m" }), undefined, ctx()), PartialFailureError);
    assert.ok(Date.now() - started < 10_000, "a failed expression fails fast");
    assert.match(broken.message, /health check failed: Widget\/shop\/stuck: failed expression is true: status.phase == 'Broken' \(Failed\)/);
  });

  test("a dependency that is not ready stops the apply before anything is applied", async () => {
    const s = await spec("./remote", { dependsOn: [{ name: "infra", revision: "main@sha1:new", lastAppliedRevision: "main@sha1:old" }] });
    await assert.rejects(applyKustomization("edge", s, undefined, ctx()), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "DependencyNotReady");
      assert.match(err.message, /^Kustomization "edge": dependency not ready: Kustomization "infra": its last applied revision main@sha1:old is not the source's current revision main@sha1:new; nothing was applied/);
      return true;
    });
    await assert.rejects(core.readNamespace({ name: "edge" }), (e: { code?: number }) => e.code === 404);
  });

  test("kubeConfig.secretRef applies to a second cluster, read from a Secret of the management cluster", async () => {
    await assert.rejects(applyKustomization("edge", await spec("./remote", { kubeConfig: { secretRef: { name: "edge-kubeconfig" } } }), undefined, ctx()), /Kustomization "edge": kubeConfig.secretRef: Secret flux-system\/edge-kubeconfig not found; create it or fix kubeConfig.secretRef.name/);
    await core.createNamespacedSecret({ namespace: "flux-system", body: { metadata: { name: "edge-kubeconfig" }, stringData: { "value.yaml": remote.kubeconfig } } });
    const s = await spec("./remote", { kubeConfig: { secretRef: { name: "edge-kubeconfig" } }, wait: true });
    const plan = await planKustomization("edge", s, undefined, ctx());
    assert.deepEqual(plan.changes.create, ["_edge__Namespace", "edge_beacon__ConfigMap"]);
    const result = await applyKustomization("edge", s, undefined, ctx());
    assert.equal(result.health.checked, 2);
    const rkc = new k8s.KubeConfig();
    rkc.loadFromString(remote.kubeconfig);
    assert.equal(await exists(rkc.makeApiClient(k8s.CoreV1Api), "beacon", "edge"), true, "applied to the remote cluster");
    await assert.rejects(core.readNamespace({ name: "edge" }), (e: { code?: number }) => e.code === 404, "not to the management cluster");
  });

  test("serviceAccountName impersonates the service account: its RBAC limits the apply, and nothing is pruned", async () => {
    const rbac = (() => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(cp.kubeconfig);
      return kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    })();
    for (const n of ["team", "other"]) await core.createNamespace({ body: { metadata: { name: n } } });
    await core.createNamespacedServiceAccount({ namespace: "flux-system", body: { metadata: { name: "deployer" } } });
    await rbac.createNamespacedRole({ namespace: "team", body: { metadata: { name: "deployer" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "patch", "update", "delete"] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: "team",
      body: { metadata: { name: "deployer" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "deployer" }, subjects: [{ kind: "ServiceAccount", name: "deployer", namespace: "flux-system" }] },
    });
    await repo.commit({ "team/a.yaml": configMap("a", "team"), "team/old.yaml": configMap("old", "team") });
    const first = await applyKustomization("team", await spec("./team", { serviceAccountName: "deployer" }), undefined, ctx());
    assert.deepEqual(first.inventory.entries.map((e) => e.id), ["team_a__ConfigMap", "team_old__ConfigMap"], "the service account may write its namespace");

    await repo.commit({ "team/old.yaml": null, "team/intruder.yaml": configMap("intruder", "other") });
    const s = await spec("./team", { serviceAccountName: "deployer" });
    await assert.rejects(applyKustomization("team", s, { inventory: first.inventory, lastAppliedRevision: first.lastAppliedRevision }, ctx()), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "ApplyFailed");
      assert.match(err.message, /^Kustomization "team": ConfigMap\/other\/intruder \w+ failed: .*"system:serviceaccount:flux-system:deployer" cannot \w+ resource "configmaps".* in the namespace "other".*; grant that permission .*serviceAccountName.*Nothing was pruned/);
      return true;
    });
    assert.equal(await exists(core, "old", "team"), true, "nothing was pruned");
    assert.equal(await exists(core, "intruder", "other"), false);
    const admin = await applyKustomization("team", await spec("./team"), { inventory: first.inventory }, ctx());
    assert.equal(await exists(core, "intruder", "other"), true, "without impersonation the kubeconfig user applies it");
    assert.equal(admin.changeSet.entries.find((e) => e.id === "team_old__ConfigMap")?.action, "deleted");
  });

  test("defaultServiceAccount is impersonated without serviceAccountName: its RBAC decides; serviceAccountName wins over it", async () => {
    const rbac = (() => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(cp.kubeconfig);
      return kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    })();
    await core.createNamespace({ body: { metadata: { name: "defaulted" } } });
    await core.createNamespacedServiceAccount({ namespace: "flux-system", body: { metadata: { name: "fallback" } } });
    await repo.commit({ "defaulted/cm.yaml": configMap("by-default", "defaulted") });
    const withDefault = async (extra: Partial<KustomizationSpec> = {}) => spec("./defaulted", { cluster: { kubeconfig: cp.kubeconfig, defaultServiceAccount: "fallback" }, ...extra });

    await assert.rejects(applyKustomization("defaulted", await withDefault(), undefined, ctx()), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "ApplyFailed");
      assert.match(err.message, /^Kustomization "defaulted": ConfigMap\/defaulted\/by-default \w+ failed: .*"system:serviceaccount:flux-system:fallback" cannot \w+ resource "configmaps".* in the namespace "defaulted".*; grant that permission .*defaultServiceAccount/);
      return true;
    });
    assert.equal(await exists(core, "by-default", "defaulted"), false, "the default service account may not write there yet");

    await rbac.createNamespacedRole({ namespace: "defaulted", body: { metadata: { name: "fallback" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "patch", "update", "delete"] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: "defaulted",
      body: { metadata: { name: "fallback" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "fallback" }, subjects: [{ kind: "ServiceAccount", name: "fallback", namespace: "flux-system" }] },
    });
    const applied = await applyKustomization("defaulted", await withDefault(), undefined, ctx());
    assert.deepEqual(applied.inventory.entries.map((e) => e.id), ["defaulted_by-default__ConfigMap"], "granted a Role, the default service account applies");
    assert.equal(await exists(core, "by-default", "defaulted"), true);

    // "deployer" (from the serviceAccountName test) may write only in "team": the explicit name is the one used.
    await assert.rejects(
      applyKustomization("defaulted", await withDefault({ serviceAccountName: "deployer" }), applied, ctx()),
      /"system:serviceaccount:flux-system:deployer" cannot \w+ resource "configmaps".* in the namespace "defaulted"/,
    );
  });

  test("suspend plans and applies nothing and keeps the previous inventory", async () => {
    await repo.commit({ "widgets/extra.yaml": widget("spare", 3) });
    const s = await spec("./widgets", { suspend: true });
    const plan = await planKustomization("widgets", s, widgets, ctx());
    assert.deepEqual(plan.changes, { create: [], update: [], prune: [], drifted: [], skipped: [], unchanged: widgets.inventory!.entries.length });
    assert.equal(plan.revision, widgets.lastAppliedRevision);
    const result = await applyKustomization("widgets", s, widgets, ctx());
    assert.deepEqual(result.inventory, widgets.inventory);
    assert.deepEqual(result.changeSet.entries, []);
    await assert.rejects(custom.getNamespacedCustomObject({ group: "example.com", version: "v1", namespace: "shop", plural: "widgets", name: "spare" }), (e: { code?: number }) => e.code === 404);
    const resumed = await planKustomization("widgets", { ...s, suspend: false }, widgets, ctx());
    assert.deepEqual(resumed.changes.create, ["shop_spare_example.com_Widget"], "resuming plans the change");
  });
});
