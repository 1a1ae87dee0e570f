// StatefulSet readiness (kstatus stsConditions).
import { current, inProgress, int, specOf, statusOf, type HealthRule } from "./status";

/**
 * statefulSetRule: OnDelete counts as Current; otherwise every replica must be ready and, for a
 * partitioned rollout, the replicas above the partition updated; without a partition every replica
 * current and `currentRevision == updateRevision`.
 */
export const statefulSetRule: HealthRule = (obj) => {
  const spec = specOf(obj);
  const strategy = (spec.updateStrategy ?? {}) as { type?: string; rollingUpdate?: { partition?: number } };
  if (strategy.type === "OnDelete") return current("StatefulSet is using the OnDelete update strategy");
  const s = statusOf(obj);
  const want = int(spec.replicas, 1);
  const replicas = int(s.replicas);
  if (want > replicas) return inProgress(`Replicas: ${replicas}/${want}`);
  if (replicas > want) return inProgress(`Pending termination: ${replicas - want}`);
  if (int(s.readyReplicas) < want) return inProgress(`Ready: ${int(s.readyReplicas)}/${want}`);
  const partition = strategy.rollingUpdate?.partition;
  if (typeof partition === "number") {
    const expected = Math.max(want - partition, 0);
    if (int(s.updatedReplicas) < expected) return inProgress(`Partition rollout in progress. updated: ${int(s.updatedReplicas)}/${expected}`);
    return current(`Partition rollout complete. updated: ${int(s.updatedReplicas)}`);
  }
  if (int(s.currentReplicas) < want) return inProgress(`current: ${int(s.currentReplicas)}/${want}`);
  if (s.currentRevision !== s.updateRevision) return inProgress(`Waiting for updated revision ${String(s.updateRevision)} (current ${String(s.currentRevision)})`);
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
};
