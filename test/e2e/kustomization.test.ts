// Kustomization engine verbs against a real API server: staged plans, immutable fields, prune safety.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { applyKustomization, planKustomization, type KustomizationSpec, type KustomizationStatus } from "../../src/core/reconcile/kustomization";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { widgetCrd, SHOP_NAMESPACE, GEAR_WIDGET } from "../harness/manifests";

const CRD = widgetCrd();
const NS = SHOP_NAMESPACE;
const WIDGET = GEAR_WIDGET;
const immutableCM = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\n  namespace: shop\nimmutable: true\ndata:\n  v: "${v}"\n`;

describe("Kustomization engine", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let storeDir: string;
  let core: k8s.CoreV1Api;
  let status: KustomizationStatus | undefined;
  const ctx = () => ({ store: new ArtifactStore(storeDir), log: silentLogger });

  const spec = async (extra: Partial<KustomizationSpec> = {}): Promise<KustomizationSpec> => {
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("shop", gitSpec, undefined, ctx());
    return { sourceRef: { kind: "GitRepository", name: "shop", spec: gitSpec, artifact }, path: "./", prune: true, cluster: { kubeconfig: cp.kubeconfig }, ...extra };
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    storeDir = await mkdtemp(join(tmpdir(), "fluxiac-store-"));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    repo = await git.createRepo("shop");
    await repo.commit({ "crd.yaml": CRD, "ns.yaml": NS, "widget.yaml": WIDGET, "frozen.yaml": immutableCM("1") });
  });
  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
    await rm(storeDir, { recursive: true, force: true });
  });

  test("a CRD, its custom resource and a new namespace plan as creates and apply in stages", async () => {
    const s = await spec();
    const plan = await planKustomization("shop", s, undefined, ctx());
    assert.deepEqual(plan.changes.create.sort(), ["_shop__Namespace", "_widgets.example.com_apiextensions.k8s.io_CustomResourceDefinition", "shop_frozen__ConfigMap", "shop_gear_example.com_Widget"]);
    const result = await applyKustomization("shop", s, undefined, ctx());
    assert.deepEqual(result.changeSet.entries.map((e) => e.action), ["created", "created", "created", "created"]);
    status = { inventory: result.inventory, objects: plan.objects };
    const again = await planKustomization("shop", s, status, ctx());
    assert.deepEqual(again.changes, { create: [], update: [], prune: [], drifted: [], skipped: [], unchanged: 4 });
  });

  test("a change to an immutable field fails without force, naming the object and the fix, and is recreated with force", async () => {
    await repo.commit({ "frozen.yaml": immutableCM("2") });
    const s = await spec();
    await assert.rejects(applyKustomization("shop", s, status, ctx()), /Kustomization "shop": ConfigMap\/shop\/frozen apply failed: .*immutable.*set force: true \(or annotate it kustomize.toolkit.fluxcd.io\/force: enabled\) to recreate it/);
    assert.equal((await core.readNamespacedConfigMap({ name: "frozen", namespace: "shop" })).data?.v, "1", "nothing changed");
    const uid = (await core.readNamespacedConfigMap({ name: "frozen", namespace: "shop" })).metadata?.uid;
    await applyKustomization("shop", { ...s, force: true }, status, ctx());
    const after = await core.readNamespacedConfigMap({ name: "frozen", namespace: "shop" });
    assert.equal(after.data?.v, "2");
    assert.notEqual(after.metadata?.uid, uid, "recreated");
  });

  test("prune keeps objects that opt out or lost fluxiac's labels", async () => {
    await core.patchNamespacedConfigMap(
      { name: "frozen", namespace: "shop", body: { metadata: { annotations: { "kustomize.toolkit.fluxcd.io/prune": "disabled" } } }, fieldManager: "someone" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await repo.commit({ "frozen.yaml": null, "widget.yaml": null });
    const s = await spec();
    const withAll = { inventory: { entries: [...status!.inventory!.entries] } };
    const plan = await planKustomization("shop", s, withAll, ctx());
    assert.deepEqual(plan.changes.prune.sort(), ["shop_frozen__ConfigMap", "shop_gear_example.com_Widget"]);
    const result = await applyKustomization("shop", s, withAll, ctx());
    const actions = Object.fromEntries(result.changeSet.entries.map((e) => [e.id, e.action]));
    assert.equal(actions["shop_frozen__ConfigMap"], "skipped");
    assert.equal(actions["shop_gear_example.com_Widget"], "deleted");
    assert.ok(await core.readNamespacedConfigMap({ name: "frozen", namespace: "shop" }), "the opted-out object survives");
  });

  test("bad YAML and unknown kinds fail the plan without touching the cluster", async () => {
    await repo.commit({ "bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n" });
    await assert.rejects(planKustomization("shop", await spec(), status, ctx()), /Kustomization "shop": generating a kustomization.yaml .* failed: bad.yaml is not valid YAML \(line 5: .*\); fix the file or exclude it with .sourceignore/);
    await repo.commit({ "bad.yaml": null, "gadget.yaml": "apiVersion: nowhere.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: shop\n" });
    await assert.rejects(planKustomization("shop", await spec(), status, ctx()), /Kustomization "shop": Gadget\/g: the cluster does not serve kind Gadget in nowhere.example.com\/v1; install the CRD/);
    const ns = await core.readNamespace({ name: "shop" });
    assert.equal(ns.status?.phase, "Active");
  });
});
