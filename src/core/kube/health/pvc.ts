// PersistentVolumeClaim readiness (kstatus pvcConditions).
import { current, inProgress, statusOf, type HealthRule } from "./status";

/** persistentVolumeClaimRule: Current once the claim is Bound. */
export const persistentVolumeClaimRule: HealthRule = (obj) => {
  const phase = statusOf(obj).phase;
  return phase === "Bound" ? current("PVC is Bound") : inProgress(`PVC is not Bound. phase: ${String(phase ?? "unknown")}`);
};
