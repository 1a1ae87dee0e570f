// The apply, prune and delete side of a Kustomization against a real API server: ssa policies, the
// takeover of kubectl's fields, spec.ignore, conflicts, an API server lost mid-apply, prune failures
// and deletionPolicy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { stringify } from "yaml";
import { ArtifactStore } from "../../src/core/artifact/store";
import { PartialFailureError } from "../../src/core/errors";
import type { Logger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { applyKustomization, deleteKustomization, planKustomization, type KustomizationSpec } from "../../src/core/reconcile/kustomization";
import type { KustomizationState } from "../../src/core/reconcile/kustomization-state";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const FLUX = "kustomize.toolkit.fluxcd.io";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** cm renders a ConfigMap manifest; `marks` become annotations. */
const cm = (name: string, namespace: string, data: Record<string, string>, marks: Record<string, string> = {}, extra: object = {}) =>
  stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(Object.keys(marks).length ? { annotations: marks } : {}) }, data, ...extra });

describe("Kustomization apply, prune and delete", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let storeDir: string;
  let core: k8s.CoreV1Api;
  let objects: k8s.KubernetesObjectApi;
  const logs: string[] = [];
  let onDebug: (m: string) => void = () => {};
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(`warning: ${m}`), debug: (m) => onDebug(m) };
  const ctx = () => ({ store: new ArtifactStore(storeDir), log });

  const spec = async (repo: GitRepo, extra: Partial<KustomizationSpec> = {}): Promise<KustomizationSpec> => {
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository(repo.name, gitSpec, undefined, ctx());
    return { sourceRef: { kind: "GitRepository", name: repo.name, spec: gitSpec, artifact }, path: "./", prune: true, cluster: { kubeconfig: cp.kubeconfig }, ...extra };
  };
  const read = (name: string, namespace: string) => core.readNamespacedConfigMap({ name, namespace });
  const exists = (name: string, namespace: string) => read(name, namespace).then(() => true, (e) => (e.code === 404 ? false : Promise.reject(e)));
  const managers = async (name: string, namespace: string) => ((await read(name, namespace)).metadata?.managedFields ?? []).map((f) => f.manager);
  /** applyAs server-side applies a partial object as another field manager (force, as controllers do). */
  const applyAs = (manager: string, body: object) => objects.patch(body as k8s.KubernetesObject, undefined, undefined, manager, true, k8s.PatchStrategy.ServerSideApply);
  const mergePatch = (name: string, namespace: string, body: object, fieldManager = "someone") =>
    core.patchNamespacedConfigMap({ name, namespace, body, fieldManager }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
  const kubectl = async (...args: string[]) => (await promisify(execFile)(tool("kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args])).stdout;
  const namespace = (name: string) => core.createNamespace({ body: { metadata: { name } } });

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    storeDir = await mkdtemp(join(scratch, "store-"));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  });
  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  describe("ssa policies", () => {
    const ns = "policies";
    let repo: GitRepo;
    let status: { inventory: KustomizationState["inventory"]; objects: Record<string, string> };

    test("Override takes kubectl's fields over, Merge keeps them, IfNotPresent only creates, Ignore and reconcile: disabled skip", async () => {
      // Given objects that kubectl applied (client-side), each with a field the manifests do not have
      await namespace(ns);
      const applied = join(scratch, "kubectl.yaml");
      await writeFile(applied, [cm("override", ns, { v: "kubectl", extra: "kubectl" }), cm("merge", ns, { v: "kubectl", extra: "kubectl" }), cm("present", ns, { v: "cluster" })].join("---\n"));
      await kubectl("apply", "-f", applied);
      assert.ok((await managers("override", ns)).includes("kubectl-client-side-apply"));
      repo = await git.createRepo("policies");
      await repo.commit({
        "override.yaml": cm("override", ns, { v: "git" }),
        "merge.yaml": cm("merge", ns, { v: "git" }, { [`${FLUX}/ssa`]: "Merge" }),
        "present.yaml": cm("present", ns, { v: "git" }, { [`${FLUX}/ssa`]: "IfNotPresent" }),
        "absent.yaml": cm("absent", ns, { v: "git" }, { [`${FLUX}/ssa`]: "IfNotPresent" }),
        "ignored.yaml": cm("ignored", ns, { v: "git" }, { [`${FLUX}/ssa`]: "Ignore" }),
        "disabled.yaml": cm("disabled", ns, { v: "git" }, { [`${FLUX}/reconcile`]: "disabled" }),
      });
      const s = await spec(repo);

      // When planned, then skipped objects show as skipped
      const plan = await planKustomization("policies", s, undefined, ctx());
      assert.deepEqual(plan.changes.skipped.sort(), ["policies_disabled__ConfigMap", "policies_ignored__ConfigMap", "policies_present__ConfigMap"]);
      assert.deepEqual(plan.changes.create, ["policies_absent__ConfigMap"]);
      assert.deepEqual(plan.changes.update.sort(), ["policies_merge__ConfigMap", "policies_override__ConfigMap"]);

      // When applied
      const result = await applyKustomization("policies", s, undefined, ctx());
      const actions = Object.fromEntries(result.changeSet.entries.map((e) => [e.id.split("_")[1], e.action]));
      assert.deepEqual(actions, { absent: "created", disabled: "skipped", ignored: "skipped", merge: "configured", override: "configured", present: "skipped" });

      // Then Override owns everything kubectl applied: kubectl's extra field and annotation are gone
      const override = await read("override", ns);
      assert.deepEqual(override.data, { v: "git" });
      assert.equal(override.metadata?.annotations?.[LAST_APPLIED], undefined);
      assert.deepEqual(await managers("override", ns), ["fluxiac"]);
      // Merge keeps what kubectl applied
      const merge = await read("merge", ns);
      assert.deepEqual(merge.data, { v: "git", extra: "kubectl" });
      assert.ok(merge.metadata?.annotations?.[LAST_APPLIED], "the last-applied annotation stays");
      assert.ok((await managers("merge", ns)).includes("kubectl-client-side-apply"));
      // IfNotPresent never updates; Ignore and reconcile: disabled never create
      assert.equal((await read("present", ns)).data?.v, "cluster");
      assert.equal((await read("absent", ns)).data?.v, "git");
      assert.equal(await exists("ignored", ns), false);
      assert.equal(await exists("disabled", ns), false);

      status = { inventory: result.inventory, objects: plan.objects };
      const again = await planKustomization("policies", s, status, ctx());
      again.changes.skipped.sort();
      const skipped = ["policies_absent__ConfigMap", "policies_disabled__ConfigMap", "policies_ignored__ConfigMap", "policies_present__ConfigMap"];
      assert.deepEqual(again.changes, { create: [], update: [], prune: [], drifted: [], skipped, unchanged: 2 }, "IfNotPresent objects are skipped once they exist");
    });

    test("an object annotated reconcile: disabled in the cluster is neither reverted nor pruned", async () => {
      await mergePatch("override", ns, { metadata: { annotations: { [`${FLUX}/reconcile`]: "disabled" } }, data: { v: "by hand" } });
      const s = await spec(repo);
      const plan = await planKustomization("policies", s, status, ctx());
      assert.ok(plan.changes.skipped.includes("policies_override__ConfigMap"));
      assert.deepEqual(plan.changes.drifted, []);
      await applyKustomization("policies", s, status, ctx());
      assert.equal((await read("override", ns)).data?.v, "by hand");

      await repo.commit({ "override.yaml": null });
      const pruned = await applyKustomization("policies", await spec(repo), status, ctx());
      assert.equal(pruned.changeSet.entries.find((e) => e.id === "policies_override__ConfigMap")?.action, "skipped");
      assert.equal(await exists("override", ns), true);
    });
  });

  test("kustomize.toolkit.fluxcd.io/force: enabled recreates an object on an immutable change without spec.force", async () => {
    await namespace("forced");
    const repo = await git.createRepo("forced");
    const frozen = (v: string) => cm("frozen", "forced", { v }, { [`${FLUX}/force`]: "enabled" }, { immutable: true });
    await repo.commit({ "frozen.yaml": frozen("1") });
    const first = await applyKustomization("forced", await spec(repo), undefined, ctx());
    const uid = (await read("frozen", "forced")).metadata?.uid;
    await repo.commit({ "frozen.yaml": frozen("2") });
    await applyKustomization("forced", await spec(repo), { inventory: first.inventory }, ctx());
    const after = await read("frozen", "forced");
    assert.equal(after.data?.v, "2");
    assert.notEqual(after.metadata?.uid, uid, "recreated");
  });

  test("invalid ignore rules, deletionPolicy and timeout fail before anything is fetched, naming the field", async () => {
    const repo = await git.createRepo("invalid");
    await repo.commit({ "a.yaml": cm("invalid", "default", { v: "1" }) });
    const cases: [Partial<KustomizationSpec>, RegExp][] = [
      [{ ignore: [{ paths: ["spec.replicas"] }] }, /Kustomization "invalid": ignore\[0\]: ignore path "spec.replicas" is not a JSON pointer; write it like "\/spec\/replicas"$/],
      [{ ignore: [{ paths: [] }] }, /Kustomization "invalid": ignore\[0\]: paths must list at least one JSON pointer$/],
      [{ ignore: [{ paths: ["/data"], target: { name: "[" } }] }, /Kustomization "invalid": ignore\[0\]: Invalid regular expression/],
      [{ deletionPolicy: "Sometimes" as never }, /Kustomization "invalid": deletionPolicy "Sometimes" is not valid: use MirrorPrune, Delete, WaitForTermination, Orphan$/],
      [{ timeout: "soon" }, /Kustomization "invalid": timeout: "soon" is not a duration/],
    ];
    for (const [extra, message] of cases) {
      await assert.rejects(planKustomization("invalid", await spec(repo, extra), undefined, ctx()), message);
      await assert.rejects(applyKustomization("invalid", await spec(repo, extra), undefined, ctx()), message);
    }
    assert.equal(await exists("invalid", "default"), false, "nothing was applied");
  });

  test("ignore: a field another manager changed on an ignored path is no drift and is not reverted", async () => {
    // Given two objects and rules ignoring /data/color on "scaled" only, and /data/size everywhere
    const ns = "ignoring";
    await namespace(ns);
    const repo = await git.createRepo("ignoring");
    await repo.commit({ "scaled.yaml": cm("scaled", ns, { color: "blue", size: "small" }), "plain.yaml": cm("plain", ns, { color: "blue" }) });
    const s = await spec(repo, { ignore: [{ paths: ["/data/color"], target: { kind: "ConfigMap", name: "scal.*" } }, { paths: ["/data/size"] }] });
    const first = await applyKustomization("ignoring", s, undefined, ctx());
    const plan0 = await planKustomization("ignoring", s, undefined, ctx());
    const status = { inventory: first.inventory, objects: plan0.objects };

    // When an autoscaler applies color (its own Apply) and someone edits size (an Update)
    await applyAs("autoscaler", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "scaled", namespace: ns }, data: { color: "red" } });
    await applyAs("autoscaler", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain", namespace: ns }, data: { color: "red" } });
    await mergePatch("scaled", ns, { data: { size: "large" } });

    // Then only the object without a rule for color drifted, and up restores only that one
    const plan = await planKustomization("ignoring", s, status, ctx());
    assert.deepEqual(plan.changes.drifted, ["ignoring_plain__ConfigMap"]);
    await applyKustomization("ignoring", s, status, ctx());
    assert.deepEqual((await read("scaled", ns)).data, { color: "red", size: "large" });
    assert.equal((await read("plain", ns)).data?.color, "blue");
    const scaled = await read("scaled", ns);
    const autoscaler = scaled.metadata?.managedFields?.find((f) => f.manager === "autoscaler");
    assert.ok(JSON.stringify(autoscaler?.fieldsV1).includes("f:color"), "the autoscaler keeps the field it applied");
    assert.deepEqual((await planKustomization("ignoring", s, status, ctx())).changes.drifted, []);
  });

  test("a field another manager applied with a conflicting value is taken over with a warning naming it; a pinned resourceVersion fails with the fix", async () => {
    const ns = "conflict";
    await namespace(ns);
    const repo = await git.createRepo("conflict");
    await repo.commit({ "shared.yaml": cm("shared", ns, { color: "blue" }) });
    const first = await applyKustomization("conflict", await spec(repo), undefined, ctx());
    await applyAs("helm", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "shared", namespace: ns }, data: { color: "red" } });

    const digests = (await planKustomization("conflict", await spec(repo), undefined, ctx())).objects;
    logs.length = 0;
    const plan = await planKustomization("conflict", await spec(repo), { inventory: first.inventory, objects: digests }, ctx());
    assert.deepEqual(plan.changes.drifted, ["conflict_shared__ConfigMap"]);
    assert.ok(logs.some((l) => /^warning: ConfigMap\/conflict\/shared: the apply will take \.data\.color from field manager "helm"/.test(l)), `preview names the conflict: ${logs.join("\n")}`);
    logs.length = 0;
    await applyKustomization("conflict", await spec(repo), { inventory: first.inventory }, ctx());
    assert.equal((await read("shared", ns)).data?.color, "blue", "Flux's behaviour: force ownership");
    assert.ok(logs.some((l) => /^warning: ConfigMap\/conflict\/shared: took \.data\.color from field manager "helm" .*remove it from the manifest or list it in ignore/.test(l)), logs.join("\n"));
    const helm = (await read("shared", ns)).metadata?.managedFields?.find((f) => f.manager === "helm");
    assert.equal(JSON.stringify(helm?.fieldsV1 ?? {}).includes("f:color"), false, "helm no longer owns the field");

    // A conflict force cannot settle: the manifest pins a stale resourceVersion
    await repo.commit({ "shared.yaml": cm("shared", ns, { color: "green" }).replace("  name: shared", '  name: shared\n  resourceVersion: "1"') });
    await assert.rejects(
      applyKustomization("conflict", await spec(repo), { inventory: first.inventory }, ctx()),
      /Kustomization "conflict": ConfigMap\/conflict\/shared dry-run failed: .*remove metadata.resourceVersion from the manifest/,
    );
    assert.equal((await read("shared", ns)).data?.color, "blue", "nothing changed");
  });

  describe("prune", () => {
    const CRD = stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gizmos.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Gizmo", plural: "gizmos", singular: "gizmo" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    });

    test("deletes in reverse apply order, and only objects that still carry this Kustomization's labels", async () => {
      const repo = await git.createRepo("order");
      await repo.commit({
        "crd.yaml": CRD,
        "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: order\n",
        "gizmo.yaml": "apiVersion: example.com/v1\nkind: Gizmo\nmetadata:\n  name: g\n  namespace: order\n",
        "cm.yaml": cm("c", "order", { v: "1" }),
        "keep.yaml": cm("keep-order", "default", { v: "1" }),
        "adopted.yaml": cm("adopted", "default", { v: "1" }),
      });
      const first = await applyKustomization("order", await spec(repo), undefined, ctx());
      // Another owner relabels one object: it is no longer this Kustomization's to delete
      await mergePatch("adopted", "default", { metadata: { labels: { [`${FLUX}/name`]: "someone-else" } } });
      await repo.commit({ "crd.yaml": null, "ns.yaml": null, "gizmo.yaml": null, "cm.yaml": null, "adopted.yaml": null });
      const result = await applyKustomization("order", await spec(repo), { inventory: first.inventory }, ctx());
      const deleted = result.changeSet.entries.filter((e) => e.action === "deleted").map((e) => e.subject);
      assert.deepEqual(deleted, ["Gizmo/order/g", "ConfigMap/order/c", "Namespace/order", "CustomResourceDefinition/gizmos.example.com"]);
      assert.equal(result.changeSet.entries.find((e) => e.subject === "ConfigMap/default/adopted")?.action, "skipped");
      assert.equal(await exists("adopted", "default"), true);
      assert.deepEqual(result.inventory.entries.map((e) => e.id), ["default_keep-order__ConfigMap"]);
    });

    test("an object that fails to delete stays in the inventory and the reconcile fails with PruneFailed", async () => {
      const repo = await git.createRepo("stuck");
      await repo.commit({ "a.yaml": cm("undeletable", "default", { v: "1" }), "b.yaml": cm("deletable", "default", { v: "1" }), "keep.yaml": cm("keep-stuck", "default", { v: "1" }) });
      const first = await applyKustomization("stuck", await spec(repo), undefined, ctx());
      // Given an admission policy that refuses to delete "undeletable"
      const policy = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "deny-undeletable" }, spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["configmaps"] }] },
        matchConditions: [{ name: "undeletable", expression: 'oldObject.metadata.name == "undeletable"' }],
        validations: [{ expression: "false", message: "protected by policy deny-undeletable" }],
      } };
      const binding = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "deny-undeletable" }, spec: { policyName: "deny-undeletable", validationActions: ["Deny"] } };
      await objects.create(policy);
      await objects.create(binding);
      for (let i = 0; ; i++) {
        const denied = await core.deleteNamespacedConfigMap({ name: "undeletable", namespace: "default", dryRun: "All" }).then(() => false, () => true);
        if (denied) break;
        assert.ok(i < 100, "the admission policy took effect");
        await new Promise((r) => setTimeout(r, 100));
      }

      // When both leave the build
      await repo.commit({ "a.yaml": null, "b.yaml": null });
      const err = await applyKustomization("stuck", await spec(repo), { inventory: first.inventory, lastAppliedRevision: "main@sha1:previous" }, ctx()).then(() => undefined, (e) => e);

      // Then the reconcile fails naming the object, keeps it in the inventory, and prunes the rest
      assert.ok(err instanceof PartialFailureError, String(err));
      assert.equal(err.reason, "PruneFailed");
      assert.match(err.message, /Kustomization "stuck": prune failed: ConfigMap\/default\/undeletable delete failed: .*protected by policy deny-undeletable.*stay in the inventory/);
      const state = err.state as KustomizationState;
      assert.deepEqual(state.inventory.entries.map((e) => e.id), ["default_keep-stuck__ConfigMap", "default_undeletable__ConfigMap"]);
      assert.equal(state.lastAppliedRevision, "main@sha1:previous", "a failed reconcile does not move lastAppliedRevision");
      assert.equal(await exists("undeletable", "default"), true);
      assert.equal(await exists("deletable", "default"), false);

      // And once the policy is gone, the next apply prunes it
      await objects.delete(binding);
      await objects.delete(policy);
      for (let i = 0; ; i++) {
        const allowed = await core.deleteNamespacedConfigMap({ name: "undeletable", namespace: "default", dryRun: "All" }).then(() => true, () => false);
        if (allowed) break;
        assert.ok(i < 100, "the admission policy went away");
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = await applyKustomization("stuck", await spec(repo), { inventory: state.inventory }, ctx());
      assert.deepEqual(result.inventory.entries.map((e) => e.id), ["default_keep-stuck__ConfigMap"]);
      assert.equal(await exists("undeletable", "default"), false);
    });
  });

  describe("deletionPolicy", () => {
    const cases: [string, Partial<KustomizationSpec>, boolean][] = [
      ["MirrorPrune with prune true deletes", { deletionPolicy: "MirrorPrune", prune: true }, false],
      ["MirrorPrune with prune false keeps", { prune: false }, true],
      ["Delete with prune false deletes", { deletionPolicy: "Delete", prune: false }, false],
      ["Orphan with prune true keeps", { deletionPolicy: "Orphan", prune: true }, true],
    ];
    for (const [what, extra, kept] of cases) {
      test(what, async () => {
        const name = `del-${what.split(" ")[0].toLowerCase()}-${kept}`;
        const repo = await git.createRepo(name);
        await repo.commit({ "d.yaml": cm(name, "default", { v: "1" }) });
        const s = await spec(repo, extra);
        const result = await applyKustomization(name, s, undefined, ctx());
        await deleteKustomization(name, s, result.inventory, ctx());
        assert.equal(await exists(name, "default"), kept);
      });
    }

    test("WaitForTermination waits until the objects are gone, and names what blocks them at the timeout", async () => {
      const repo = await git.createRepo("del-wait");
      await repo.commit({ "d.yaml": cm("held", "default", { v: "1" }) });
      const s = await spec(repo, { deletionPolicy: "WaitForTermination", timeout: "2s" });
      const result = await applyKustomization("del-wait", s, undefined, ctx());
      await mergePatch("held", "default", { metadata: { finalizers: ["example.com/hold"] } });
      await assert.rejects(
        deleteKustomization("del-wait", s, result.inventory, ctx()),
        /Kustomization "del-wait": deletionPolicy WaitForTermination: still terminating after 2s: ConfigMap\/default\/held \(finalizers: example.com\/hold\); remove what blocks the deletion \(finalizers\) or raise timeout/,
      );
      setTimeout(() => void mergePatch("held", "default", { metadata: { finalizers: null } }), 500);
      await deleteKustomization("del-wait", { ...s, timeout: "30s" }, result.inventory, ctx());
      assert.equal(await exists("held", "default"), false, "gone when destroy returns");
    });
  });

  test("an API server lost mid-apply: the error names the object, nothing is pruned, the inventory lists what was applied; after a restart the next apply converges", async () => {
    const repo = await git.createRepo("outage");
    await repo.commit({ "old.yaml": cm("old", "default", { v: "1" }) });
    const first = await applyKustomization("outage", await spec(repo), undefined, ctx());
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`cm-${i}.yaml`, cm(`cm-${String(i).padStart(2, "0")}`, "outage", { i: String(i) })]));
    await repo.commit({ "old.yaml": null, "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: outage\n", ...many });
    const s = await spec(repo);

    // When the API server dies right after the first stage (the Namespace) was applied
    onDebug = (m) => {
      if (m.startsWith("applied stage 1 of 2")) cp.killApiServer();
    };
    const err = await applyKustomization("outage", s, { inventory: first.inventory }, ctx()).then(() => undefined, (e) => e);
    onDebug = () => {};

    assert.ok(err instanceof PartialFailureError, String(err));
    assert.equal(err.reason, "ClusterUnavailable");
    assert.match(err.message, /^Kustomization "outage": ConfigMap\/outage(\/cm-\d\d)? (read|list|dry-run|apply) failed: the cluster is unreachable \(.*\); check kubeconfig and that the API server is running\. Nothing was pruned; the 1 object applied before the failure is in the inventory$/);
    const state = err.state as KustomizationState;
    assert.deepEqual(state.inventory.entries.map((e) => e.id), ["_outage__Namespace", "default_old__ConfigMap"]);

    // Then after a restart the old object is still there, and applying from the recorded state converges
    await cp.startApiServer();
    assert.equal(await exists("old", "default"), true, "nothing was pruned");
    const result = await applyKustomization("outage", s, state, ctx());
    assert.equal(result.inventory.entries.length, 41);
    assert.equal((await core.listNamespacedConfigMap({ namespace: "outage" })).items.filter((c) => c.metadata?.name?.startsWith("cm-")).length, 40);
    assert.equal(await exists("old", "default"), false, "pruned once the apply succeeded");
  });
});
