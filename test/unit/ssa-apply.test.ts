// Pure logic of the apply side: ssa policies, ignore rules and selectors, the kubectl takeover,
// forced conflicts, conflict hints and the inventory of an interrupted apply.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../src/core/build/kustomize";
import { conflictHint } from "../../src/core/kube/ssa/conflict";
import { adoptIgnored, ignoredPaths, parsePointer, selects } from "../../src/core/kube/ssa/ignore";
import { fieldPaths, forcedConflicts, takeoverPatch } from "../../src/core/kube/ssa/managed-fields";
import { skipReason, ssaPolicy } from "../../src/core/kube/ssa/owner";
import { appliedInventory } from "../../src/core/reconcile/kustomization-state";

const cm = (name: string, extra: Partial<KubeObject["metadata"]> = {}, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "apps", ...extra },
  data,
});
const marked = (key: string, value: string) => cm("x", { annotations: { [`kustomize.toolkit.fluxcd.io/${key}`]: value } });

test("skipReason: reconcile disabled (manifest or cluster), ssa Ignore, ssa IfNotPresent only when the object exists", () => {
  const cases: [string, KubeObject, KubeObject | undefined, string | undefined][] = [
    ["plain", cm("x"), cm("x"), undefined],
    ["reconcile disabled in the manifest", marked("reconcile", "disabled"), undefined, "kustomize.toolkit.fluxcd.io/reconcile: disabled"],
    ["reconcile disabled in the cluster", cm("x"), marked("reconcile", "disabled"), "kustomize.toolkit.fluxcd.io/reconcile: disabled"],
    ["ssa Ignore", marked("ssa", "Ignore"), undefined, "kustomize.toolkit.fluxcd.io/ssa: Ignore"],
    ["ssa Ignore in the cluster", cm("x"), marked("ssa", "Ignore"), "kustomize.toolkit.fluxcd.io/ssa: Ignore"],
    ["ssa IfNotPresent, absent", marked("ssa", "IfNotPresent"), undefined, undefined],
    ["ssa IfNotPresent, present", marked("ssa", "ifnotpresent"), cm("x"), "kustomize.toolkit.fluxcd.io/ssa: IfNotPresent and it exists"],
    ["ssa Merge", marked("ssa", "Merge"), cm("x"), undefined],
  ];
  for (const [what, desired, live, reason] of cases) assert.equal(skipReason(desired, live), reason, what);
  assert.equal(ssaPolicy(marked("ssa", "merge")), "Merge");
  assert.equal(ssaPolicy(marked("ssa", "Sideways")), "Override", "unknown values mean the default");
});

test("ignore: JSON pointers, selectors with anchored patterns and label selectors", () => {
  assert.deepEqual(parsePointer("/metadata/annotations/example.com~1x~0y"), ["metadata", "annotations", "example.com/x~y"]);
  assert.throws(() => parsePointer("spec.replicas"), /ignore path "spec.replicas" is not a JSON pointer; write it like "\/spec\/replicas"/);
  const web = cm("web", { labels: { app: "web", tier: "front" } });
  const cases: [object, boolean][] = [
    [{ kind: "ConfigMap" }, true],
    [{ kind: "Config" }, false],
    [{ name: "w.*", version: "v1", group: "" }, true],
    [{ namespace: "other" }, false],
    [{ labelSelector: "app=web,tier!=back" }, true],
    [{ labelSelector: "app" }, true],
    [{ labelSelector: "app=db" }, false],
  ];
  for (const [target, expected] of cases) assert.equal(selects(target, web), expected, JSON.stringify(target));
  assert.deepEqual(ignoredPaths([{ paths: ["/data/a"], target: { name: "db" } }, { paths: ["/data/b"] }], web), [["data", "b"]]);
});

test("adoptIgnored leaves out what another Apply manager owns and takes the live value of the rest", () => {
  const live = cm("x", {
    managedFields: [
      { manager: "autoscaler", operation: "Apply", fieldsV1: { "f:data": { "f:color": {} } } },
      { manager: "someone", operation: "Update", fieldsV1: { "f:data": { "f:size": {} } } },
    ],
  }, { color: "red", size: "large" });
  const desired = cm("x", {}, { color: "blue", size: "small", gone: "x" });
  const out = adoptIgnored(desired, live, [["data", "color"], ["data", "size"], ["data", "gone"]]);
  assert.deepEqual(out.data, { size: "large" });
  assert.deepEqual(desired.data, { color: "blue", size: "small", gone: "x" }, "the input is not changed");
});

test("takeoverPatch merges kubectl's and before-first-apply's fields into fluxiac's Apply entry and drops last-applied", () => {
  const live = cm("x", {
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    managedFields: [
      { manager: "kubectl-client-side-apply", operation: "Update", apiVersion: "v1", fieldsV1: { "f:data": { "f:a": {} } } },
      { manager: "fluxiac", operation: "Apply", apiVersion: "v1", fieldsV1: { "f:data": { "f:b": {} } } },
      { manager: "helm", operation: "Apply", apiVersion: "v1", fieldsV1: { "f:data": { "f:c": {} } } },
      { manager: "kube-controller-manager", operation: "Update", apiVersion: "v1", subresource: "status", fieldsV1: {} },
    ],
  });
  const patch = takeoverPatch(live)!;
  const entries = patch.metadata.managedFields as { manager: string; fieldsV1: object }[];
  assert.deepEqual(entries.map((e) => e.manager), ["fluxiac", "helm", "kube-controller-manager"]);
  assert.deepEqual(entries[0].fieldsV1, { "f:data": { "f:b": {}, "f:a": {} } });
  assert.deepEqual(patch.metadata.annotations, { "kubectl.kubernetes.io/last-applied-configuration": null });
  assert.equal(takeoverPatch(cm("x", { managedFields: [{ manager: "fluxiac", operation: "Apply", fieldsV1: {} }] })), undefined);
});

test("forcedConflicts names the fields a forced apply takes from other managers, not kubectl's", () => {
  const before = cm("x", { managedFields: [
    { manager: "helm", operation: "Apply", fieldsV1: { "f:data": { ".": {}, "f:color": {}, "f:keep": {} } } },
    { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:data": { "f:size": {} } } },
  ] });
  const after = cm("x", { managedFields: [{ manager: "helm", operation: "Apply", fieldsV1: { "f:data": { ".": {}, "f:keep": {} } } }] });
  assert.deepEqual(forcedConflicts(before, after), [{ manager: "helm", fields: [".data.color"] }]);
  assert.deepEqual(fieldPaths({ "f:spec": { "f:containers": { 'k:{"name":"web"}': { "f:image": {} } } } }), ['.spec.containers[{"name":"web"}].image']);
});

test("conflictHint offers the fix for each kind of 409", () => {
  assert.match(conflictHint(409, 'Apply failed with 1 conflict: conflict with "helm": .data.color'), /owned by the field manager\(s\) named above: remove them from the manifest, or list their paths in ignore/);
  assert.match(conflictHint(409, "the object has been modified; please apply your changes to the latest version"), /remove metadata.resourceVersion from the manifest/);
  assert.equal(conflictHint(422, "invalid"), "invalid");
});

test("appliedInventory is the previous inventory plus what the interrupted apply wrote", () => {
  const previous = { entries: [{ id: "apps_old__ConfigMap", v: "v1" }] };
  const built = { entries: [{ id: "_apps__Namespace", v: "v1" }, { id: "apps_new__ConfigMap", v: "v1" }] };
  const applied = [{ subject: "Namespace/apps", id: "_apps__Namespace", action: "created" as const }];
  assert.deepEqual(appliedInventory(previous, applied, built).entries.map((e) => e.id), ["_apps__Namespace", "apps_old__ConfigMap"]);
});
