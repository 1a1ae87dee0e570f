// healthCheckExprs of a HelmRelease: after an install or upgrade that waited, the release's objects that
// match an entry must be Current, as Flux's poller wait with its CEL status readers does. Helm's own
// --wait knows nothing of custom kinds, so fluxiac polls them with the Kustomization's health code.
import { parseDuration } from "../duration";
import { matchHealthCheckExpr, type HealthCheckExpr } from "../kube/health/cel";
import { waitForHealth, type ObjectHealth } from "../kube/health/wait";
import type { ResourceManager } from "../kube/ssa/manager";
import { manifestObjects } from "./drift";

/** ReleaseHealthCheck says what to check: the release's manifest, its namespace and the wait budget. */
export interface ReleaseHealthCheck {
  /** The manifest of the release version the action made (hooks left out). */
  manifest: string;
  namespace: string;
  exprs: HealthCheckExpr[] | undefined;
  /** The action's timeout, a duration, and its field for errors. */
  timeout: string;
  field: string;
}

const render = (o: ObjectHealth) => `${o.subject}: ${o.health.message} (${o.health.status})`;

/**
 * checkReleaseHealth waits until the release's objects matched by healthCheckExprs are Current. It
 * throws, naming each unhealthy object, when one is Failed or the timeout passes: the caller counts it
 * as a failed action, so remediation applies.
 */
export async function checkReleaseHealth(m: ResourceManager, c: ReleaseHealthCheck): Promise<void> {
  if (!c.exprs?.length) return;
  const objects = (await manifestObjects(m, c.manifest, c.namespace)).filter((o) => matchHealthCheckExpr(c.exprs, o));
  if (!objects.length) return;
  const result = await waitForHealth(m, objects, { timeoutMs: parseDuration(c.timeout, c.field), exprs: c.exprs });
  if (result.healthy) return;
  const unhealthy = result.objects.filter((o) => o.health.status !== "Current");
  if (result.timedOut) throw new Error(`health check (healthCheckExprs) timed out after ${c.timeout} waiting for ${unhealthy.map(render).join("; ")}; fix the objects, or raise ${c.field}`);
  throw new Error(`health check (healthCheckExprs) failed: ${unhealthy.filter((o) => o.health.status === "Failed").map(render).join("; ")}`);
}
