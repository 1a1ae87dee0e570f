// Helm's release actions through the helm CLI: install, upgrade, test, rollback, uninstall, and the
// reads (history, status, template). Each takes an options object with Flux's field names.
import { parseDuration } from "../duration";
import type { HelmSession } from "./helm-cli";
import type { InstallSpec, RollbackSpec, TestSpec, UninstallSpec, UpgradeSpec } from "./types";
import type { Values } from "./values";

/** ReleaseInfo is one entry of `helm history`. */
export interface ReleaseInfo {
  revision: number;
  status: string;
  /** `<chart name>-<chart version>`. */
  chart: string;
  app_version?: string;
  description?: string;
  /** When the version last changed (RFC 3339). */
  updated?: string;
}

/** ReleaseTarget is the release an action works on and how it is rendered. */
export interface ReleaseTarget {
  release: string;
  namespace: string;
  chartDir: string;
  /** Path of the 0600 values file in the session dir. */
  valuesFile: string;
  /** Flags that install the post-renderer. */
  postRender: string[];
  /** spec.timeout, a duration. */
  timeout: string;
  maxHistory: number;
}

/** helmDuration turns a Flux duration into one Helm's Go parser reads. */
export function helmDuration(value: string, field: string): string {
  return `${Math.max(1, Math.round(parseDuration(value, field) / 1000))}s`;
}

function waitArgs(o: { disableWait?: boolean; disableWaitForJobs?: boolean }): string[] {
  if (o.disableWait) return [];
  return o.disableWaitForJobs ? ["--wait"] : ["--wait", "--wait-for-jobs"];
}

const flag = (on: boolean | undefined, name: string) => (on ? [name] : []);

/** history lists the release's versions, oldest first; empty when there is no such release. */
export async function history(s: HelmSession, release: string, namespace: string): Promise<ReleaseInfo[]> {
  const res = await s.helmResult(["history", release, "--namespace", namespace, "--output", "json", "--max", "256"]);
  if (res.code !== 0) {
    if (/release: not found/.test(res.stderr)) return [];
    throw new Error(`helm history failed: ${res.stderr.trim().split("\n").pop()}`);
  }
  return (JSON.parse(res.stdout || "[]") as ReleaseInfo[]).sort((a, b) => a.revision - b.revision);
}

/** ReleaseRecord is a Helm release version as `helm status --output json` and `helm install/upgrade --output json` print it. */
export interface ReleaseRecord {
  version: number;
  info: { status: string };
  /** The user-supplied values of that version. */
  config?: Values | null;
  /** The rendered objects of that version, hooks left out. */
  manifest?: string;
}

/** status reads the release's last version (`helm status --output json`); undefined when there is no such release. */
export async function status(s: HelmSession, release: string, namespace: string): Promise<ReleaseRecord | undefined> {
  const res = await s.helmResult(["status", release, "--namespace", namespace, "--output", "json"]);
  if (res.code !== 0) {
    if (/release: not found/.test(res.stderr)) return undefined;
    throw new Error(`helm status failed: ${res.stderr.trim().split("\n").pop()}`);
  }
  return JSON.parse(res.stdout) as ReleaseRecord;
}

/** template renders the chart with the values as `helm template`, hooks included, without post-rendering; the action's disableSchemaValidation applies. */
export function template(s: HelmSession, t: ReleaseTarget, o: { disableSchemaValidation?: boolean } = {}): Promise<string> {
  return s.helm(["template", t.release, t.chartDir, "--namespace", t.namespace, "--values", t.valuesFile, ...flag(o.disableSchemaValidation, "--skip-schema-validation")]);
}

/** validationArgs are the flags of the validation and ownership switches install and upgrade share; Flux takes ownership unless disableTakeOwnership. */
function validationArgs(o: InstallSpec | UpgradeSpec): string[] {
  return [
    ...flag(o.disableOpenAPIValidation, "--disable-openapi-validation"), ...flag(o.disableSchemaValidation, "--skip-schema-validation"),
    ...flag(!o.disableTakeOwnership, "--take-ownership"),
  ];
}

/** install runs `helm install` with spec.install's options and returns the release version it made. */
export async function install(s: HelmSession, t: ReleaseTarget, o: InstallSpec, skipCRDs: boolean): Promise<ReleaseRecord> {
  return record(await s.helm([
    "install", t.release, t.chartDir, "--namespace", t.namespace, "--values", t.valuesFile, ...t.postRender,
    "--timeout", helmDuration(o.timeout ?? t.timeout, "install.timeout"), ...waitArgs(o),
    ...flag(o.disableHooks, "--no-hooks"), ...validationArgs(o),
    ...flag(o.replace, "--replace"), ...flag(o.createNamespace, "--create-namespace"), ...flag(skipCRDs, "--skip-crds"), "--output", "json",
  ]));
}

/** upgrade runs `helm upgrade` with spec.upgrade's options and maxHistory and returns the release version it made. */
export async function upgrade(s: HelmSession, t: ReleaseTarget, o: UpgradeSpec): Promise<ReleaseRecord> {
  return record(await s.helm([
    "upgrade", t.release, t.chartDir, "--namespace", t.namespace, "--values", t.valuesFile, ...t.postRender,
    "--timeout", helmDuration(o.timeout ?? t.timeout, "upgrade.timeout"), ...waitArgs(o), "--history-max", String(t.maxHistory),
    ...flag(o.disableHooks, "--no-hooks"), ...validationArgs(o),
    ...flag(o.force, "--force"), ...flag(o.preserveValues, "--reuse-values"), ...flag(o.cleanupOnFail, "--cleanup-on-fail"),
    // The chart's crds/ are handled by the crds policy, never by helm upgrade.
    "--skip-crds", "--output", "json",
  ]));
}

/** record parses the release version helm printed with `--output json`. */
function record(stdout: string): ReleaseRecord {
  return JSON.parse(stdout) as ReleaseRecord;
}

/** test runs `helm test` with spec.test's filters. */
export function test(s: HelmSession, t: Pick<ReleaseTarget, "release" | "namespace" | "timeout">, o: TestSpec): Promise<string> {
  const filters = (o.filters ?? []).flatMap((f) => ["--filter", `${f.exclude ? "!" : ""}name=${f.name}`]);
  return s.helm(["test", t.release, "--namespace", t.namespace, "--timeout", helmDuration(o.timeout ?? t.timeout, "test.timeout"), ...filters]);
}

/** rollback runs `helm rollback` to a revision with spec.rollback's options. */
export function rollback(s: HelmSession, t: Pick<ReleaseTarget, "release" | "namespace" | "timeout" | "maxHistory">, revision: number, o: RollbackSpec): Promise<string> {
  return s.helm([
    "rollback", t.release, String(revision), "--namespace", t.namespace,
    "--timeout", helmDuration(o.timeout ?? t.timeout, "rollback.timeout"), ...waitArgs(o), "--history-max", String(t.maxHistory),
    ...flag(o.disableHooks, "--no-hooks"), ...flag(o.force, "--force"), ...flag(o.recreate, "--recreate-pods"), ...flag(o.cleanupOnFail, "--cleanup-on-fail"),
  ]);
}

/** uninstall runs `helm uninstall` with spec.uninstall's options; a release that is gone already is fine. */
export async function uninstall(s: HelmSession, t: Pick<ReleaseTarget, "release" | "namespace" | "timeout">, o: UninstallSpec): Promise<void> {
  const res = await s.helmResult([
    "uninstall", t.release, "--namespace", t.namespace, "--timeout", helmDuration(o.timeout ?? t.timeout, "uninstall.timeout"),
    ...flag(!o.disableWait, "--wait"), ...flag(o.disableHooks, "--no-hooks"), ...flag(o.keepHistory, "--keep-history"),
    "--cascade", o.deletionPropagation ?? "background",
  ]);
  if (res.code !== 0 && !/not found/.test(res.stderr)) throw new Error(`helm uninstall failed: ${res.stderr.trim().split("\n").slice(-2).join(" ").replace(/^Error: /, "")}`);
}
