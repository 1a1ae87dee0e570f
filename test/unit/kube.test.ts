// Pure logic of the apply engine: inventory ids, stages and kind order, drift comparison, generation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryOf, entryToObject, inventoryOf, parseEntryId, staleEntries } from "../../src/core/kube/inventory";
import { stages, sortForApply } from "../../src/core/kube/ssa/sort";
import { driftedFields } from "../../src/core/kube/ssa/diff";
import { generateKustomization } from "../../src/core/build/generator";
import { resolveCluster } from "../../src/core/kube/remote";
import type { KubeObject } from "../../src/core/build/kustomize";
import { mkdtempSync, rmSync } from "node:fs";
import { after as afterAll } from "node:test";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({ apiVersion, kind, metadata: { name, namespace } });

const identities: { name: string; defaultServiceAccount?: string; serviceAccountName?: string; impersonate?: string }[] = [
  { name: "neither: the kubeconfig user", impersonate: undefined },
  { name: "defaultServiceAccount alone, in the object's namespace", defaultServiceAccount: "fallback", impersonate: "system:serviceaccount:apps:fallback" },
  { name: "serviceAccountName alone", serviceAccountName: "deployer", impersonate: "system:serviceaccount:apps:deployer" },
  { name: "serviceAccountName over defaultServiceAccount", defaultServiceAccount: "fallback", serviceAccountName: "deployer", impersonate: "system:serviceaccount:apps:deployer" },
];
for (const c of identities) {
  test(`resolveCluster impersonates with ${c.name}`, async () => {
    const management = { kubeconfig: "kubeconfig-text", context: "ctx", defaultServiceAccount: c.defaultServiceAccount };
    assert.deepEqual(await resolveCluster(management, "apps", { serviceAccountName: c.serviceAccountName }), { kubeconfig: "kubeconfig-text", context: "ctx", ...(c.impersonate ? { impersonate: c.impersonate } : {}) });
  });
}

test("inventory ids follow Flux's <ns>_<name>_<group>_<kind> format", () => {
  assert.deepEqual(entryOf(obj("apps/v1", "Deployment", "podinfo", "default")), { id: "default_podinfo_apps_Deployment", v: "v1" });
  assert.deepEqual(entryOf(obj("v1", "Service", "podinfo", "default")), { id: "default_podinfo__Service", v: "v1" });
  assert.deepEqual(entryOf(obj("v1", "Namespace", "apps")), { id: "_apps__Namespace", v: "v1" });
  assert.deepEqual(parseEntryId("default_podinfo_apps_Deployment"), { namespace: "default", name: "podinfo", group: "apps", kind: "Deployment" });
  assert.deepEqual(entryToObject({ id: "default_podinfo_apps_Deployment", v: "v1" }), obj("apps/v1", "Deployment", "podinfo", "default"));
  assert.deepEqual(entryToObject({ id: "_apps__Namespace", v: "v1" }).metadata, { name: "apps" });
});

test("stale entries are those that left the inventory, whatever their version", () => {
  const prev = inventoryOf([obj("v1", "ConfigMap", "a", "d"), obj("v1", "ConfigMap", "b", "d"), obj("apps/v1", "Deployment", "c", "d")]);
  const next = inventoryOf([obj("v1", "ConfigMap", "a", "d"), obj("apps/v2", "Deployment", "c", "d")]);
  assert.deepEqual(staleEntries(prev, next).map((e) => e.id), ["d_b__ConfigMap"]);
  assert.deepEqual(staleEntries(undefined, next), []);
});

test("objects apply in Flux's stages and kind order", () => {
  const objs = [
    obj("apps/v1", "Deployment", "web", "apps"),
    obj("example.com/v1", "Widget", "w", "apps"),
    obj("v1", "Service", "web", "apps"),
    obj("storage.k8s.io/v1", "StorageClass", "fast"),
    obj("v1", "Namespace", "apps"),
    obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
    obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook"),
  ];
  assert.deepEqual(stages(objs).map((s) => s.map((o) => o.kind)), [
    ["CustomResourceDefinition", "Namespace"],
    ["StorageClass"],
    ["Service", "Deployment", "Widget", "ValidatingWebhookConfiguration"],
  ]);
  assert.deepEqual(sortForApply([obj("v1", "ConfigMap", "b", "x"), obj("v1", "ConfigMap", "a", "x")]).map((o) => o.metadata.name), ["a", "b"]);
});

test("drift ignores server-owned fields and finds changed ones", () => {
  const desired = { ...obj("v1", "ConfigMap", "a", "d"), data: { k: "v" } } as KubeObject;
  const live = { ...desired, metadata: { ...desired.metadata, resourceVersion: "7", uid: "u", managedFields: [{}] }, status: {} } as KubeObject;
  assert.deepEqual(driftedFields(desired, live), []);
  assert.deepEqual(driftedFields(desired, { ...live, data: { k: "edited" } } as KubeObject), ["data"]);
  assert.deepEqual(driftedFields(desired, { ...live, metadata: { ...live.metadata, labels: { x: "y" } } } as KubeObject), ["metadata.labels"]);
});

test("the generator lists Kubernetes manifests and stops at nested kustomizations", async () => {
  const root = await mkdtemp(join(scratch, "fluxiac-gen-"));
  const dir = join(root, "deploy");
  await mkdir(join(dir, "base"), { recursive: true });
  await mkdir(join(dir, "more"), { recursive: true });
  await writeFile(join(dir, "app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
  await writeFile(join(dir, "values.yaml"), "replicas: 3\n");
  await writeFile(join(dir, "base", "kustomization.yaml"), "resources: []\n");
  await writeFile(join(dir, "base", "skip.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n");
  await writeFile(join(dir, "more", "svc.yml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n");
  await generateKustomization(root, dir);
  const text = await readFile(join(dir, "kustomization.yaml"), "utf8");
  assert.match(text, /resources:\n- app.yaml\n- base\n- more\/svc.yml\n$/);
  assert.equal(await generateKustomization(root, dir), undefined, "an existing kustomization is kept");
  const empty = join(root, "empty");
  await mkdir(empty);
  assert.match((await generateKustomization(root, empty))!.text, /namespace: _placeholder/);
});
