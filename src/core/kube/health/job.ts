// Job readiness (Flux's job status reader, fluxcd/pkg runtime/statusreaders/job.go).
import { condition, current, failed, inProgress, int, specOf, statusOf, type HealthRule } from "./status";

/** jobRule: a suspended Job is Current; `Failed=True` is Failed; InProgress until `Complete=True`. */
export const jobRule: HealthRule = (obj) => {
  const spec = specOf(obj);
  const s = statusOf(obj);
  if (spec.suspend === true) return current("Job is suspended");
  const want = int(spec.completions, 1);
  const failure = condition(obj, "Failed");
  if (failure?.status === "True") return failed(`Job failed${failure.message ? `: ${failure.message}` : ""}. failed: ${int(s.failed)}/${want}`);
  if (condition(obj, "Complete")?.status === "True") return current(`Job completed. succeeded: ${int(s.succeeded)}/${want}`);
  return inProgress(`Job in progress. success: ${int(s.succeeded)}, active: ${int(s.active)}, failed: ${int(s.failed)}`);
};
