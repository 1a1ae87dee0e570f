// DaemonSet readiness (kstatus daemonsetConditions).
import { current, inProgress, int, statusOf, type HealthRule } from "./status";

/** daemonSetRule: every desired pod scheduled, updated, ready and available. */
export const daemonSetRule: HealthRule = (obj) => {
  const s = statusOf(obj);
  if (typeof s.desiredNumberScheduled !== "number") return inProgress("Missing .status.desiredNumberScheduled");
  const want = s.desiredNumberScheduled;
  const checks: [string, unknown][] = [
    ["Current", s.currentNumberScheduled],
    ["Updated", s.updatedNumberScheduled],
    ["Ready", s.numberReady],
    ["Available", s.numberAvailable],
  ];
  for (const [label, have] of checks) if (int(have) < want) return inProgress(`${label}: ${int(have)}/${want}`);
  return current(`All replicas scheduled as expected. Replicas: ${want}`);
};
