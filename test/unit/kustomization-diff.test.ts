// Pure logic of the Kustomization preview: drift rendering, Secret masking, the plan cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../src/core/build/kustomize";
import { maskSecrets, renderDrift } from "../../src/cli/drift";
import { PlanCache } from "../../src/core/reconcile/plan-cache";

const cm = (color: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "shop", resourceVersion: "7" }, data: { color, size: "L" } });
const secret = (data: Record<string, string>, lastApplied?: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "creds", namespace: "shop", ...(lastApplied ? { annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } } : {}) },
  data,
});

test("renderDrift shows the changed line with context and leaves server-owned metadata out", () => {
  const lines = renderDrift(cm("red"), cm("blue"));
  assert.ok(lines[0].startsWith("@@ "));
  assert.ok(lines.includes("-  color: red") && lines.includes("+  color: blue"), lines.join("\n"));
  assert.ok(!lines.some((l) => l.includes("resourceVersion")));
  assert.deepEqual(renderDrift(cm("red"), cm("red")), []);
});

test("Secret values are masked on both sides; changed ones say which side, none is ever printed", () => {
  const cases: [Record<string, string>, Record<string, string>, Record<string, unknown>, Record<string, unknown>][] = [
    [{ a: "c2VjcmV0" }, { a: "c2VjcmV0" }, { a: "***" }, { a: "***" }],
    [{ a: "b2xk" }, { a: "bmV3" }, { a: "*** (before)" }, { a: "*** (after)" }],
    [{}, { b: "bmV3" }, {}, { b: "*** (after)" }],
  ];
  for (const [before, after, wantBefore, wantAfter] of cases) {
    const [b, a] = maskSecrets(secret(before) as unknown as Record<string, unknown>, secret(after) as unknown as Record<string, unknown>);
    assert.deepEqual(b.data, wantBefore);
    assert.deepEqual(a.data, wantAfter);
  }
  const text = renderDrift(secret({ a: "b2xk" }, '{"data":{"a":"b2xk"}}'), secret({ a: "bmV3" }, '{"data":{"a":"bmV3"}}')).join("\n");
  assert.ok(!text.includes("b2xk") && !text.includes("bmV3"), text);
  assert.match(text, /\*\*\* \(before\)/);
});

test("PlanCache hands a plan over once, only under the same key and while it is recent", async () => {
  const cache = new PlanCache({ maxAgeMs: 50, size: 2 });
  const plan = { objects: [], revision: "main@sha1:1", diffs: new Map() };
  const key = PlanCache.key("apps", { path: "./", prune: true });
  assert.notEqual(key, PlanCache.key("apps", { path: "./", prune: false }));
  cache.put(key, plan);
  assert.equal(cache.take(PlanCache.key("other", { path: "./", prune: true })), undefined);
  assert.equal(cache.take(key)?.revision, "main@sha1:1");
  assert.equal(cache.take(key), undefined, "taken once");
  cache.put(key, plan);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(cache.take(key), undefined, "too old");
  for (const n of ["a", "b", "c"]) cache.put(n, plan);
  assert.equal(cache.take("a"), undefined, "evicted beyond size");
  assert.ok(cache.take("c"));
});
