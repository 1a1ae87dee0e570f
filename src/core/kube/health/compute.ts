// computeHealth: one rule per kind, chosen by API group and kind; healthCheckExprs win for their kinds.
import type { KubeObject } from "../../build/kustomize";
import { splitApiVersion } from "../inventory";
import { celHealth, matchHealthCheckExpr, type HealthCheckExpr } from "./cel";
import { crdRule } from "./crd";
import { daemonSetRule } from "./daemonset";
import { deploymentRule } from "./deployment";
import { genericRule } from "./generic";
import { jobRule } from "./job";
import { persistentVolumeClaimRule } from "./pvc";
import { statefulSetRule } from "./statefulset";
import { genericHealth, type Health, type HealthRule } from "./status";

/** RULES maps `<group>/<Kind>` to its rule; any other kind takes the generic rule. */
const RULES: Record<string, HealthRule> = {
  "apps/Deployment": deploymentRule,
  "apps/StatefulSet": statefulSetRule,
  "apps/DaemonSet": daemonSetRule,
  "batch/Job": jobRule,
  "apiextensions.k8s.io/CustomResourceDefinition": crdRule,
  "/PersistentVolumeClaim": persistentVolumeClaimRule,
};

/**
 * computeHealth returns an object's health: the generic checks first (deletion, observedGeneration,
 * Reconciling, Stalled), then the matching healthCheckExprs entry if any, else the kind's rule.
 */
export function computeHealth(obj: KubeObject, exprs?: HealthCheckExpr[]): Health {
  const generic = genericHealth(obj);
  if (generic) return generic;
  const entry = matchHealthCheckExpr(exprs, obj);
  if (entry) return celHealth(entry, obj);
  const rule = RULES[`${splitApiVersion(obj.apiVersion).group}/${obj.kind}`] ?? genericRule;
  return rule(obj);
}
