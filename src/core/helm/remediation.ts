// Install and upgrade with Flux's remediation (helm-controller internal/reconcile atomic_release.go):
// a failed action (or failed tests) is remediated — install by uninstalling, upgrade by rolling back to
// the last deployed version or by uninstalling — and retried up to `retries` times; the last failure
// is remediated only when remediateLastFailure is true (default: when retries > 0). With
// strategy.name RetryOnFailure a failed action is not remediated: the release stays failed and the next
// run retries it.
import { errorMessage } from "../errors";
import type { Logger } from "../log";
import * as actions from "./actions";
import type { ResourceManager } from "../kube/ssa/manager";
import { checkReleaseHealth } from "./health";
import type { HelmSession } from "./helm-cli";
import type { HelmReleaseSpec, InstallSpec, Remediation, UpgradeSpec } from "./types";

/** MAX_RETRIES caps a negative `retries` (Flux's "retry forever") within one apply. */
export const MAX_RETRIES = 10;

/** ReleaseFailedError is an install or upgrade that failed after remediation; the message says what was done. */
export class ReleaseFailedError extends Error {
  constructor(message: string, readonly remediated: boolean) {
    super(message);
  }
}

/** ReleaseRun is what an action needs: the session, the target and the spec's action options. */
export interface ReleaseRun {
  s: HelmSession;
  t: actions.ReleaseTarget;
  spec: HelmReleaseSpec;
  /** The release's cluster, for the health check of healthCheckExprs. */
  m: ResourceManager;
  /** Skip the chart's crds/ in helm install (the crds policy applied them, or says Skip). */
  skipCRDs: boolean;
  log: Logger;
  /** Prefix of log lines, e.g. `HelmRelease "web"`. */
  subject: string;
}

function retriesOf(r: Remediation | undefined): number {
  const n = r?.retries ?? 0;
  return n < 0 ? MAX_RETRIES : n;
}

/** remediateLast is remediateLastFailure with Flux's default (true when retries > 0). */
function remediateLast(r: Remediation | undefined): boolean {
  return r?.remediateLastFailure ?? retriesOf(r) > 0;
}

/** retryOnFailure reports whether the action's strategy leaves a failure to the next run. */
const retryOnFailure = (o: InstallSpec | UpgradeSpec | undefined) => o?.strategy?.name === "RetryOnFailure";

/** leftFailed is the error of a failed action under RetryOnFailure: nothing was remediated, the next run retries. */
const leftFailed = (failure: string, field: "install" | "upgrade") =>
  new ReleaseFailedError(`${failure}; the failed release is left as it is (${field}.strategy RetryOnFailure): the next run retries it`, false);

/** waitHealthy checks healthCheckExprs on the version an action made, unless the action did not wait. */
async function waitHealthy(run: ReleaseRun, made: actions.ReleaseRecord, field: "install" | "upgrade"): Promise<void> {
  const o = run.spec[field];
  if (o?.disableWait) return;
  await checkReleaseHealth(run.m, { manifest: made.manifest ?? "", namespace: run.t.namespace, exprs: run.spec.healthCheckExprs, timeout: o?.timeout ?? run.t.timeout, field: `${field}.timeout` });
}

/** runTests runs helm test when spec.test.enable; a failure throws unless failures are ignored. */
async function runTests(run: ReleaseRun, remediation: Remediation | undefined): Promise<void> {
  const t = run.spec.test;
  if (!t?.enable) return;
  try {
    await actions.test(run.s, run.t, t);
    run.log.info(`${run.subject}: tests passed`);
  } catch (err) {
    if (t.ignoreFailures || remediation?.ignoreTestFailures) {
      run.log.warn(`${run.subject}: tests failed, ignored (test.ignoreFailures): ${errorMessage(err)}`);
      return;
    }
    throw new Error(`tests failed: ${errorMessage(err)}`);
  }
}

/**
 * installRelease runs helm install (then tests), uninstalling and retrying on failure per
 * install.remediation. It returns the release version the successful install made.
 */
export async function installRelease(run: ReleaseRun): Promise<actions.ReleaseRecord> {
  const r = run.spec.install?.remediation;
  const retries = retriesOf(r);
  for (let attempt = 0; ; attempt++) {
    try {
      const made = await actions.install(run.s, run.t, run.spec.install ?? {}, run.skipCRDs);
      await waitHealthy(run, made, "install");
      await runTests(run, r);
      return made;
    } catch (err) {
      const failure = `install failed: ${errorMessage(err)}`;
      if (retryOnFailure(run.spec.install)) throw leftFailed(failure, "install");
      const last = attempt >= retries;
      if (last && !remediateLast(r)) {
        throw new ReleaseFailedError(`${failure}; the failed release is left as it is (install.remediation.retries ${retries}, remediateLastFailure false)`, false);
      }
      run.log.warn(`${run.subject}: ${failure}; uninstalling (remediation)`);
      await actions.uninstall(run.s, run.t, run.spec.uninstall ?? {});
      if (last) throw new ReleaseFailedError(`${failure}; the release was uninstalled (install.remediation, ${attempt + 1} attempt${attempt ? "s" : ""})`, true);
    }
  }
}

/**
 * upgradeRelease runs helm upgrade (then tests); on failure it remediates per upgrade.remediation
 * (rollback to `deployedRevision`, or uninstall) and retries. After an uninstall the retry installs.
 * With strategy RetryOnFailure (upgrade's, or install's while no version was ever deployed) a failure
 * is left as it is. It returns the release version the successful upgrade (or install) made.
 */
export async function upgradeRelease(run: ReleaseRun, deployedRevision: number | undefined): Promise<actions.ReleaseRecord> {
  const r = run.spec.upgrade?.remediation;
  const retries = retriesOf(r);
  const strategy = r?.strategy ?? "rollback";
  // An upgrade that retries an install that never succeeded follows install.strategy.
  const retryField = deployedRevision === undefined && retryOnFailure(run.spec.install) ? "install" : retryOnFailure(run.spec.upgrade) ? "upgrade" : undefined;
  let installNext = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const made = installNext ? await actions.install(run.s, run.t, run.spec.install ?? {}, run.skipCRDs) : await actions.upgrade(run.s, run.t, run.spec.upgrade ?? {});
      await waitHealthy(run, made, installNext ? "install" : "upgrade");
      await runTests(run, r);
      return made;
    } catch (err) {
      const failure = `${installNext ? "install" : "upgrade"} failed: ${errorMessage(err)}`;
      if (retryField) throw leftFailed(failure, retryField);
      const last = attempt >= retries;
      if (last && !remediateLast(r)) {
        throw new ReleaseFailedError(`${failure}; the failed release is left as it is (upgrade.remediation.retries ${retries}, remediateLastFailure false)`, false);
      }
      let done: string;
      if (strategy === "rollback" && deployedRevision !== undefined && !installNext) {
        run.log.warn(`${run.subject}: ${failure}; rolling back to revision ${deployedRevision} (remediation)`);
        await actions.rollback(run.s, run.t, deployedRevision, run.spec.rollback ?? {});
        done = `rolled back to revision ${deployedRevision}`;
      } else {
        run.log.warn(`${run.subject}: ${failure}; uninstalling (remediation)`);
        await actions.uninstall(run.s, run.t, run.spec.uninstall ?? {});
        installNext = true;
        done = "the release was uninstalled";
      }
      if (last) throw new ReleaseFailedError(`${failure}; ${done} (upgrade.remediation strategy ${strategy}, ${attempt + 1} attempt${attempt ? "s" : ""})`, true);
    }
  }
}
