// Any kind without its own rule: the Ready condition (kstatus's generic rule).
import { condition, current, describe, inProgress, type HealthRule } from "./status";

/**
 * genericRule reads the Ready condition: True is Current, anything else InProgress. An object with no
 * Ready condition (or no status at all) is Current, as kstatus says.
 */
export const genericRule: HealthRule = (obj) => {
  const ready = condition(obj, "Ready");
  if (!ready) return current("resource is current");
  if (ready.status === "True") return current(ready.message || "resource is Ready");
  return inProgress(`not Ready: ${describe(ready)}`);
};
