// Readiness as data: one kstatus rule per kind, healthCheckExprs in CEL, durations and dependency readiness.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../src/core/build/kustomize";
import { computeHealth } from "../../src/core/kube/health/compute";
import { matchHealthCheckExpr, validateHealthCheckExprs, type HealthCheckExpr } from "../../src/core/kube/health/cel";
import { checkDependencies, dependencyNotReady } from "../../src/core/reconcile/depends-on";
import { healthTargets, validateHealthCheck } from "../../src/core/reconcile/kustomization-health";

type Obj = Record<string, unknown>;
const cond = (type: string, status: string, reason?: string, message?: string) => ({ type, status, reason, message });
const make = (apiVersion: string, kind: string, body: Obj = {}, generation = 1): KubeObject =>
  ({ apiVersion, kind, metadata: { name: "x", namespace: "ns", generation }, ...body }) as KubeObject;

const availableDeploy = (status: Obj = {}, spec: Obj = { replicas: 2 }) =>
  make("apps/v1", "Deployment", {
    spec,
    status: {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [cond("Progressing", "True", "NewReplicaSetAvailable"), cond("Available", "True")],
      ...status,
    },
  });
const sts = (spec: Obj, status: Obj) => make("apps/v1", "StatefulSet", { spec: { replicas: 3, ...spec }, status: { observedGeneration: 1, ...status } });
const stsDone = { replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: "r2", updateRevision: "r2" };

/** CASES: [what, object, expected status, message pattern]. */
const CASES: [string, KubeObject, string, RegExp][] = [
  ["a Deployment with every replica updated, ready and available is Current", availableDeploy(), "Current", /available. Replicas: 2/],
  ["a Deployment whose controller has not seen the new generation is InProgress", { ...availableDeploy(), metadata: { name: "web", namespace: "apps", generation: 2 } } as KubeObject, "InProgress", /generation is 2, but latest observed generation is 1/],
  ["observedGeneration is checked before conditions", make("apps/v1", "Deployment", { status: { observedGeneration: 1, conditions: [cond("Progressing", "False", "ProgressDeadlineExceeded")] } }, 3), "InProgress", /generation is 3/],
  ["a Deployment past its progress deadline is Failed", availableDeploy({ conditions: [cond("Progressing", "False", "ProgressDeadlineExceeded", 'ReplicaSet "web-1" has timed out progressing.')] }), "Failed", /progress deadline exceeded: ReplicaSet "web-1" has timed out/],
  ["a Deployment with too few ready replicas is InProgress", availableDeploy({ readyReplicas: 1 }), "InProgress", /Ready: 1\/2/],
  ["a Deployment with too few updated replicas is InProgress", availableDeploy({ updatedReplicas: 1 }), "InProgress", /Updated: 1\/2/],
  ["a Deployment with old replicas left is InProgress", availableDeploy({ replicas: 3 }), "InProgress", /Pending termination: 1/],
  ["a Deployment without Available=True is InProgress", availableDeploy({ conditions: [cond("Progressing", "True", "NewReplicaSetAvailable"), cond("Available", "False")] }), "InProgress", /Deployment not Available/],
  ["a Deployment with default replicas (1) and none yet is InProgress", make("apps/v1", "Deployment", { spec: {}, status: {} }), "InProgress", /Replicas: 0\/1/],
  ["a StatefulSet fully rolled out is Current", sts({}, stsDone), "Current", /Replicas: 3/],
  ["a StatefulSet waiting for its update revision is InProgress", sts({}, { ...stsDone, currentRevision: "r1" }), "InProgress", /Waiting for updated revision r2/],
  ["a StatefulSet with a pod not ready is InProgress", sts({}, { ...stsDone, readyReplicas: 2 }), "InProgress", /Ready: 2\/3/],
  ["a partitioned StatefulSet is Current once the pods above the partition are updated", sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, { ...stsDone, updatedReplicas: 1, currentRevision: "r1" }), "Current", /Partition rollout complete/],
  ["a partitioned StatefulSet still updating is InProgress", sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } }, { ...stsDone, updatedReplicas: 1 }), "InProgress", /updated: 1\/2/],
  ["an OnDelete StatefulSet is Current", sts({ updateStrategy: { type: "OnDelete" } }, {}), "Current", /OnDelete/],
  ["a DaemonSet with every pod available is Current", make("apps/v1", "DaemonSet", { status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 2, numberAvailable: 2 } }), "Current", /Replicas: 2/],
  ["a DaemonSet with a pod not ready is InProgress", make("apps/v1", "DaemonSet", { status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 1, numberAvailable: 1 } }), "InProgress", /Ready: 1\/2/],
  ["a DaemonSet without status is InProgress", make("apps/v1", "DaemonSet"), "InProgress", /desiredNumberScheduled/],
  ["a complete Job is Current", make("batch/v1", "Job", { status: { succeeded: 1, conditions: [cond("Complete", "True")] } }), "Current", /Job completed. succeeded: 1\/1/],
  ["a running Job is InProgress", make("batch/v1", "Job", { status: { active: 1 } }), "InProgress", /active: 1/],
  ["a failed Job is Failed", make("batch/v1", "Job", { status: { failed: 3, conditions: [cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")] } }), "Failed", /backoff limit. failed: 3\/1/],
  ["a suspended Job is Current", make("batch/v1", "Job", { spec: { suspend: true } }), "Current", /suspended/],
  ["an established CRD is Current", make("apiextensions.k8s.io/v1", "CustomResourceDefinition", { status: { conditions: [cond("NamesAccepted", "True"), cond("Established", "True")] } }), "Current", /established/],
  ["a CRD whose names were refused is Failed", make("apiextensions.k8s.io/v1", "CustomResourceDefinition", { status: { conditions: [cond("NamesAccepted", "False", "MultipleNamesConflict", '"widget" is already in use')] } }), "Failed", /MultipleNamesConflict: "widget" is already in use/],
  ["a CRD being installed is InProgress", make("apiextensions.k8s.io/v1", "CustomResourceDefinition"), "InProgress", /Install in progress/],
  ["a Bound PVC is Current", make("v1", "PersistentVolumeClaim", { status: { phase: "Bound" } }), "Current", /Bound/],
  ["a Pending PVC is InProgress", make("v1", "PersistentVolumeClaim", { status: { phase: "Pending" } }), "InProgress", /phase: Pending/],
  ["an object without status is Current", make("v1", "ConfigMap", { data: {} }), "Current", /current/],
  ["a custom resource with Ready=True is Current", make("example.com/v1", "Widget", { status: { observedGeneration: 1, conditions: [cond("Ready", "True", "Succeeded", "all good")] } }), "Current", /all good/],
  ["a custom resource with Ready=False is InProgress", make("example.com/v1", "Widget", { status: { conditions: [cond("Ready", "False", "Waiting", "gears turning")] } }), "InProgress", /not Ready: Waiting: gears turning/],
  ["a custom resource that is Stalled is Failed", make("example.com/v1", "Widget", { status: { conditions: [cond("Stalled", "True", "Broken", "no teeth")] } }), "Failed", /Broken: no teeth/],
  ["a custom resource that is Reconciling is InProgress", make("example.com/v1", "Widget", { status: { conditions: [cond("Reconciling", "True", "Progressing")] } }), "InProgress", /Progressing/],
  ["an object being deleted is InProgress", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", deletionTimestamp: "2026-01-01T00:00:00Z" } } as KubeObject, "InProgress", /scheduled for deletion/],
];

describe("kstatus rules", () => {
  for (const [what, obj, status, message] of CASES) {
    test(what, () => {
      const h = computeHealth(obj);
      assert.equal(h.status, status, h.message);
      assert.match(h.message, message);
    });
  }
});

describe("healthCheckExprs (CEL)", () => {
  const exprs: HealthCheckExpr[] = [
    {
      apiVersion: "example.com/v1",
      kind: "Widget",
      inProgress: "has(status.phase) && status.phase == 'Turning'",
      failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False' && c.reason == 'Broken')",
      current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && status.teeth >= 12",
    },
    { apiVersion: "example.com/v2", current: "status.phase == 'Done'" },
  ];
  const widget = (status: Obj) => make("example.com/v1", "Widget", { status: { observedGeneration: 1, ...status } });
  const TABLE: [string, KubeObject, string, RegExp][] = [
    ["current is true", widget({ teeth: 12, conditions: [cond("Ready", "True")] }), "Current", /current expression is true/],
    ["inProgress is evaluated before failed", widget({ phase: "Turning", conditions: [cond("Ready", "False", "Broken")] }), "InProgress", /inProgress expression is true/],
    ["failed is evaluated before current", widget({ teeth: 12, conditions: [cond("Ready", "False", "Broken")] }), "Failed", /failed expression is true/],
    ["current false is InProgress (integers compare as CEL ints)", widget({ teeth: 11, conditions: [cond("Ready", "True")] }), "InProgress", /current expression is not true: /],
    ["a missing field is InProgress, with the CEL error", widget({}), "InProgress", /not true \(.*conditions.*\)/],
    ["a group-only entry matches another kind of the group", make("example.com/v2", "Gadget", { status: { phase: "Done" } }), "Current", /status.phase == 'Done'/],
    ["observedGeneration still comes first", make("example.com/v1", "Widget", { status: { observedGeneration: 1, teeth: 12, conditions: [cond("Ready", "True")] } }, 2), "InProgress", /generation is 2/],
  ];
  for (const [what, obj, status, message] of TABLE) {
    test(what, () => {
      const h = computeHealth(obj, exprs);
      assert.equal(h.status, status, h.message);
      assert.match(h.message, message);
    });
  }

  test("an entry naming the kind wins over a group-only entry, whatever their order", () => {
    const groupOnly = { apiVersion: "example.com/v1", current: "true" };
    const withKind = { apiVersion: "example.com/v9", kind: "Widget", current: "false" };
    assert.equal(matchHealthCheckExpr([groupOnly, withKind], make("example.com/v1", "Widget")), withKind);
    assert.equal(matchHealthCheckExpr([groupOnly, withKind], make("example.com/v1", "Gear")), groupOnly);
    assert.equal(matchHealthCheckExpr([groupOnly], make("other.example.com/v1", "Widget")), undefined);
  });

  test("invalid CEL and missing fields are reported by field", () => {
    assert.deepEqual(validateHealthCheckExprs([{ apiVersion: "", current: "" }]), ["healthCheckExprs[0].apiVersion is required", "healthCheckExprs[0].current is required"]);
    const [problem] = validateHealthCheckExprs([{ apiVersion: "example.com/v1", current: "status.phase ==" }]);
    assert.match(problem, /^healthCheckExprs\[0\]\.current is not valid CEL/);
  });
});

describe("health check settings", () => {
  test("a bad timeout or healthChecks entry names the field", () => {
    assert.deepEqual(validateHealthCheck({ timeout: "soon", healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "" }] }), [
      'timeout: "soon" is not a duration; use a value like "30s", "5m" or "1h30m"',
      "healthChecks[0].name is required",
    ]);
  });

  test("wait checks every applied object but the skipped ones, and overrides healthChecks", () => {
    const a = make("v1", "ConfigMap");
    const b = { ...make("v1", "Secret"), metadata: { name: "s", namespace: "ns" } } as KubeObject;
    const changeSet = { entries: [{ subject: "Secret/ns/s", id: "ns_s__Secret", action: "skipped" as const }] };
    const checks = [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps" }];
    assert.deepEqual(healthTargets({ wait: true, healthChecks: checks }, [a, b], changeSet), [a]);
    assert.deepEqual(healthTargets({ healthChecks: checks }, [a, b], changeSet), [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "apps" } }]);
    assert.deepEqual(healthTargets({}, [a, b], changeSet), []);
  });
});

describe("dependsOn readiness", () => {
  const healthy = { status: "Current" as const, message: "ok", checked: 1 };
  const TABLE: [string, Parameters<typeof dependencyNotReady>[0], RegExp | undefined][] = [
    ["applied the current revision and healthy", { name: "infra", revision: "main@sha1:2", lastAppliedRevision: "main@sha1:2", health: healthy }, undefined],
    ["never applied", { name: "infra", revision: "main@sha1:2" }, /not applied a revision yet/],
    ["behind its source", { name: "infra", revision: "main@sha1:2", lastAppliedRevision: "main@sha1:1", health: healthy }, /main@sha1:1 is not the source's current revision main@sha1:2/],
    ["unhealthy", { name: "infra", revision: "main@sha1:2", lastAppliedRevision: "main@sha1:2", health: { status: "Failed", message: "Deployment/apps/web: progress deadline exceeded", checked: 1 } }, /health check did not pass: Deployment\/apps\/web/],
  ];
  for (const [what, dep, why] of TABLE) {
    test(`a dependency that ${what}`, () => {
      const got = dependencyNotReady(dep);
      if (why) assert.match(got ?? "", why);
      else assert.equal(got, undefined);
    });
  }

  test("checkDependencies names every dependency that is not ready, with the reason DependencyNotReady", () => {
    const deps = [
      { name: "infra", revision: "r2", lastAppliedRevision: "r1" },
      { name: "crds", revision: "r2", lastAppliedRevision: "r2" },
    ];
    assert.throws(() => checkDependencies({ kind: "Kustomization", name: "apps" }, { dependsOn: deps }), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, "DependencyNotReady");
      assert.match(err.message, /^Kustomization "apps": dependency not ready: Kustomization "infra": its last applied revision r1 .*nothing was applied/);
      assert.doesNotMatch(err.message, /"crds"/);
      return true;
    });
  });

  test("readyExpr replaces the built-in check", () => {
    const dep = { name: "infra", revision: "r2", lastAppliedRevision: "r1" };
    const object = { kind: "Kustomization", name: "apps" };
    assert.doesNotThrow(() => checkDependencies(object, { dependsOn: [dep], readyExpr: "dep.status.lastAppliedRevision == 'r1' && self.metadata.name == 'apps'" }));
    assert.throws(() => checkDependencies(object, { dependsOn: [dep], readyExpr: "dep.status.ready" }), /Kustomization "infra": readyExpr is not true/);
  });
});
