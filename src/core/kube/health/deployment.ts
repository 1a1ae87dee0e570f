// Deployment readiness (kstatus deploymentConditions).
import { condition, current, failed, inProgress, int, specOf, statusOf, type HealthRule } from "./status";

/**
 * deploymentRule: ProgressDeadlineExceeded is Failed; otherwise every replica must be updated, ready and
 * available, with no old replica left, the new ReplicaSet available and `Available=True`.
 */
export const deploymentRule: HealthRule = (obj) => {
  const progressing = condition(obj, "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") return failed(`progress deadline exceeded${progressing.message ? `: ${progressing.message}` : ""}`);
  const s = statusOf(obj);
  const want = int(specOf(obj).replicas, 1);
  const replicas = int(s.replicas);
  if (want > replicas) return inProgress(`Replicas: ${replicas}/${want}`);
  if (int(s.updatedReplicas) < want) return inProgress(`Updated: ${int(s.updatedReplicas)}/${want}`);
  if (replicas > want) return inProgress(`Pending termination: ${replicas - want}`);
  if (int(s.availableReplicas) < want) return inProgress(`Available: ${int(s.availableReplicas)}/${want}`);
  if (int(s.readyReplicas) < want) return inProgress(`Ready: ${int(s.readyReplicas)}/${want}`);
  if (!(progressing?.status === "True" && progressing.reason === "NewReplicaSetAvailable")) return inProgress("ReplicaSet not Available");
  if (condition(obj, "Available")?.status !== "True") return inProgress("Deployment not Available");
  return current(`Deployment is available. Replicas: ${replicas}`);
};
