// waitForHealth: poll objects until every one is Current, one is Failed, or the timeout passes.
import pLimit from "p-limit";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, isNotFound, objectHeader, statusCode } from "../client";
import type { ResourceManager } from "../ssa/manager";
import { objectKey } from "../ssa/sort";
import type { HealthCheckExpr } from "./cel";
import { computeHealth } from "./compute";
import { current, failed, inProgress, type Health } from "./status";

/** WaitOptions tune waitForHealth. */
export interface WaitOptions {
  /** Give up after this long. Required: the caller owns the default. */
  timeoutMs: number;
  /**
   * Time between polls. Default 500 ms: Flux polls every 5 s against a remote API server; a reconcile
   * here blocks `pulumi up` while it waits, and a GET of the objects still pending costs little.
   */
  pollIntervalMs?: number;
  /** healthCheckExprs for custom kinds. */
  exprs?: HealthCheckExpr[];
}

/** ObjectHealth is the last health seen for one object, named `Kind/namespace/name`. */
export interface ObjectHealth {
  subject: string;
  health: Health;
}

/** HealthResult is the outcome of a wait: every object's last health, and whether it timed out or was cancelled. */
export interface HealthResult {
  healthy: boolean;
  timedOut: boolean;
  /** The manager's signal fired (the user interrupted the run): the wait stopped early. */
  cancelled: boolean;
  elapsedMs: number;
  objects: ObjectHealth[];
}

/** readHealth reads one object and computes its health; a Job removed by its TTL counts as done. */
async function readHealth(m: ResourceManager, obj: KubeObject, exprs?: HealthCheckExpr[]): Promise<Health> {
  try {
    return computeHealth((await m.api.read(objectHeader(obj))) as KubeObject, exprs);
  } catch (err) {
    if (isNotFound(err)) {
      const ttl = (obj as { spec?: { ttlSecondsAfterFinished?: unknown } }).spec?.ttlSecondsAfterFinished;
      if (obj.kind === "Job" && typeof ttl === "number") return current("Job was deleted after it finished (ttlSecondsAfterFinished)");
      return inProgress("not found");
    }
    if (statusCode(err) === 403) return failed(`cannot read it: ${apiMessage(err)}`);
    return inProgress(`cannot read it: ${apiMessage(err)}`);
  }
}

/**
 * waitForHealth polls the objects that are not Current yet until all are, and stops at once when one
 * is Failed (Flux's fail-fast on Stalled), when the timeout passes, or when the manager's signal fires.
 * It never throws for an unhealthy object or a cancelled wait: the result says which ones are and why.
 */
export async function waitForHealth(m: ResourceManager, objects: KubeObject[], opts: WaitOptions): Promise<HealthResult> {
  const started = Date.now();
  const interval = opts.pollIntervalMs ?? 500;
  const limit = pLimit(m.concurrency);
  const last = new Map<KubeObject, Health>();
  let pending = objects;
  for (;;) {
    const healths = await Promise.all(pending.map((o) => limit(() => readHealth(m, o, opts.exprs))));
    pending.forEach((o, i) => last.set(o, healths[i]));
    pending = pending.filter((o) => last.get(o)!.status !== "Current");
    const anyFailed = pending.some((o) => last.get(o)!.status === "Failed");
    const elapsedMs = Date.now() - started;
    const timedOut = !anyFailed && pending.length > 0 && elapsedMs + interval > opts.timeoutMs;
    const cancelled = !!m.signal?.aborted && pending.length > 0;
    if (!pending.length || anyFailed || timedOut || cancelled) {
      return { healthy: !pending.length, timedOut, cancelled: cancelled && !anyFailed && !timedOut, elapsedMs, objects: objects.map((o) => ({ subject: objectKey(o), health: last.get(o)! })) };
    }
    // An abort ends the sleep early; the next round reads the objects once more and reports the cancel.
    await sleep(interval, undefined, { signal: m.signal }).catch(() => undefined);
  }
}
