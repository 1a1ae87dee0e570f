// CustomResourceDefinition readiness (kstatus crdConditions).
import { condition, current, describe, failed, inProgress, type HealthRule } from "./status";

/** crdRule: `NamesAccepted=False` is Failed; Current once `Established=True`. */
export const crdRule: HealthRule = (obj) => {
  const names = condition(obj, "NamesAccepted");
  if (names?.status === "False") return failed(`names not accepted: ${describe(names)}`);
  const established = condition(obj, "Established");
  if (established?.status === "True") return current("CRD is established");
  return inProgress(established ? `not Established: ${describe(established)}` : "Install in progress");
};
