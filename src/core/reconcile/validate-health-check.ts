// validateHealthCheck: the health check fields of a Kustomization checked before anything runs. Kept apart
// from kustomization-health.ts so that front-ends validating at synth time (CDKTF) do not load the
// Kubernetes client.
import { parseDuration } from "../duration";
import { errorMessage } from "../errors";
import { validateHealthCheckExprs } from "../kube/health/cel";
import type { HealthCheckSpec } from "./kustomization-health";

/** validateHealthCheck returns one problem per bad field of the health check, naming the field. */
export function validateHealthCheck(spec: HealthCheckSpec): string[] {
  const problems: string[] = [];
  if (spec.timeout !== undefined) {
    try {
      parseDuration(spec.timeout, "timeout");
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  (spec.healthChecks ?? []).forEach((h, i) => {
    for (const f of ["apiVersion", "kind", "name"] as const) if (!h?.[f]) problems.push(`healthChecks[${i}].${f} is required`);
  });
  return problems.concat(validateHealthCheckExprs(spec.healthCheckExprs ?? []));
}
