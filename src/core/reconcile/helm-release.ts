// HelmRelease engine verbs: plan (resolve the chart, merge the values, render, compare with the release,
// detect drift), apply (install or upgrade with remediation, tests, drift correction), delete (uninstall).
// Releases are ordinary Helm releases, made by the helm CLI.
import YAML from "yaml";
import { FluxiacError, PartialFailureError, errorMessage, type ObjectRef } from "../errors";
import * as actions from "../helm/actions";
import { chartCRDs, type ResolvedChart } from "../helm/chart";
import { correctDrift, detectDrift, manifestObjects, type DriftedObject } from "../helm/drift";
import { HelmCommandError, withHelm, type HelmSession } from "../helm/helm-cli";
import { decideAction, namespaces, prepare, validateHelmRelease, type Prepared, type ReleaseAction } from "../helm/prepare";
import { countKinds, manifestKinds, renderRelease } from "../helm/render";
import { releaseName } from "../helm/release-name";
import { isPending, unlockIfStale } from "../helm/unlock";
import type { HelmSessionOptions } from "../helm/helm-cli";
import { connect } from "../kube/client";
import { resolveCluster } from "../kube/remote";
import { installRelease, ReleaseFailedError, upgradeRelease } from "../helm/remediation";
import type { HelmReleaseSpec } from "../helm/types";
import { canonicalJSON, valuesDigest } from "../helm/values";
import type { KubeObject } from "../build/kustomize";
import { applyOne } from "../kube/ssa/apply";
import { readLive } from "../kube/ssa/diff";
import type { ReconcileContext } from "./context";
import { checkDependencies } from "./depends-on";
import type { HelmChartStatus } from "./helm-chart";
import { PlanCache } from "./plan-cache";

/** HelmReleasePlan is what preview shows. */
export interface HelmReleasePlan {
  releaseName: string;
  namespace: string;
  chart: string;
  chartVersion: string;
  valuesDigest: string;
  configDigest: string;
  action: ReleaseAction;
  /** Why the action: "chart app-1.0.0 → app-1.1.0", "values changed", "no release exists", "up to date". */
  reason: string;
  /** Objects of the release that differ from the cluster: `Kind/namespace/name: fields`. */
  drifted: string[];
  /** The rendered chart's objects (hooks left out), counted by kind. */
  objects: Record<string, number>;
  /** The HelmChart made for spec.chart, for the next plan to reuse. */
  helmChart?: HelmChartStatus;
}

/** HelmReleaseStatus is what apply records: the Helm release as it is now. */
export interface HelmReleaseStatus {
  releaseName: string;
  namespace: string;
  /** The Helm release version (`helm history`'s revision). */
  revision: number;
  /** Helm's status of that version: deployed, failed, … */
  status: string;
  chartVersion: string;
  valuesDigest: string;
  configDigest: string;
  /** Drift found (and, with mode enabled, corrected) by the last apply. */
  drifted?: string[];
  helmChart?: HelmChartStatus;
}

/**
 * session validates the spec and says where helm talks to: the management cluster, or kubeConfig's, as
 * serviceAccountName.
 */
async function session(object: ObjectRef, spec: HelmReleaseSpec, ctx: ReconcileContext): Promise<HelmSessionOptions> {
  const problems = validateHelmRelease(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.join("; "));
  try {
    const cluster = await resolveCluster(spec.cluster, namespaces(spec).namespace, spec);
    connect(cluster);
    return { cluster, signal: ctx.signal };
  } catch (err) {
    throw new FluxiacError(object, "ValidationFailed", errorMessage(err));
  }
}

/** renderError turns a failure of helm template into a FluxiacError naming the HelmRelease and what to fix; a schema failure also names the action's switch. */
function renderError(object: ObjectRef, p: Prepared, action: ReleaseAction, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  const msg = errorMessage(err).replace(/^helm template failed: /, "");
  const schema = /values don't meet the specifications of the schema/.test(msg) ? `, or set ${action === "upgrade" ? "upgrade" : "install"}.disableSchemaValidation` : "";
  return new FluxiacError(object, "BuildFailed", `rendering chart ${p.metadata.name} ${p.metadata.version} with the values failed: ${msg}; fix values or valuesFrom (or the chart)${schema}`);
}

/** ReleaseState is the release in the cluster as a plan or apply found it. */
interface ReleaseState {
  /** `helm history`, oldest first; empty when there is no release. */
  hist: actions.ReleaseInfo[];
  /** Digest of the values of the last version, when it is deployed. */
  deployedValuesDigest?: string;
  /** The manifest of the last version, when it is deployed. */
  manifest?: string;
}

/**
 * releaseState reads the release's history and its last version (values and manifest), with the two
 * helm processes side by side. A release that changed between the two reads is read again.
 */
async function releaseState(s: HelmSession, p: Prepared, attempts = 3): Promise<ReleaseState> {
  const [hist, last] = await Promise.all([actions.history(s, p.target.release, p.target.namespace), actions.status(s, p.target.release, p.target.namespace)]);
  if (hist.at(-1)?.revision !== last?.version && attempts > 1) return releaseState(s, p, attempts - 1);
  if (hist.at(-1)?.status !== "deployed" || !last) return { hist };
  return { hist, deployedValuesDigest: valuesDigest(last.config ?? {}), manifest: last.manifest ?? "" };
}

/** drift detects drift of the deployed release's manifest when driftDetection.mode is enabled or warn. */
async function drift(p: Prepared, spec: HelmReleaseSpec, state: ReleaseState): Promise<DriftedObject[]> {
  if ((spec.driftDetection?.mode ?? "disabled") === "disabled") return [];
  const objects = await manifestObjects(p.m, state.manifest ?? "", p.target.namespace);
  return detectDrift(p.m, objects, spec.driftDetection?.ignore);
}

const driftLines = (d: DriftedObject[]) => d.map((x) => `${x.subject}: ${x.fields.join(", ")}`);

/** PlannedRelease is what an apply takes over from the plan of the same spec moments before (Pulumi's check, then create/update). */
interface PlannedRelease {
  chart: ResolvedChart;
  valuesDigest: string;
  configDigest: string;
  state: ReleaseState;
  /** The plan rendered the chart with these values without an error. */
  rendered: boolean;
  /** Drift the plan found, when it looked. */
  drifted?: DriftedObject[];
}

/** plans lets an apply take over the plan that Pulumi's check made moments before in this process. */
const plans = new PlanCache<PlannedRelease>();

/** planKey keys a plan by name and spec, whatever the order of the spec's keys (front-ends rebuild the spec between plan and apply). */
const planKey = (name: string, spec: HelmReleaseSpec) => PlanCache.key(name, canonicalJSON(spec));

/**
 * planHelmRelease resolves the chart (downloading only a new version), merges the values and decides
 * install / upgrade / nothing against the release in the cluster. A release to install or upgrade is
 * rendered with `helm template` (post-renderers included), so a chart or values helm refuses fail here;
 * an up-to-date release is summarized from its own manifest and, with driftDetection, dry-run for
 * drift. Nothing is written to the cluster.
 */
export async function planHelmRelease(name: string, spec: HelmReleaseSpec, previous: Partial<HelmReleaseStatus> | undefined, ctx: ReconcileContext): Promise<HelmReleasePlan> {
  const object = { kind: "HelmRelease", name };
  if (spec.suspend) {
    const { chartVersion = "", valuesDigest: digest = "", configDigest = "" } = previous ?? {};
    const target = { releaseName: releaseName(name, spec), namespace: namespaces(spec).targetNamespace };
    return { ...target, chart: "", chartVersion, valuesDigest: digest, configDigest, action: "none", reason: "suspended", drifted: [], objects: {} };
  }
  return withHelm(await session(object, spec, ctx), async (s) => {
    const p = await prepare(name, spec, s, ctx, { previousChart: previous?.helmChart });
    const state = await guard(object, () => releaseState(s, p));
    const { action, reason } = decideAction(p, state.hist.at(-1), state.deployedValuesDigest, previous?.configDigest);
    let objects: Record<string, number>;
    let found: DriftedObject[] | undefined;
    if (action === "none") {
      objects = countKinds(manifestKinds(state.manifest ?? ""));
      found = await guard(object, () => drift(p, spec, state));
    } else {
      try {
        objects = countKinds(await renderRelease(s, p.target, p.post, actionSpec(spec, action)));
      } catch (err) {
        throw renderError(object, p, action, err);
      }
    }
    plans.put(planKey(name, spec), { chart: p.chart, valuesDigest: p.valuesDigest, configDigest: p.configDigest, state, rendered: action !== "none", drifted: found });
    return {
      releaseName: p.target.release, namespace: p.target.namespace, chart: p.metadata.name, chartVersion: p.metadata.version,
      valuesDigest: p.valuesDigest, configDigest: p.configDigest, action, reason, drifted: driftLines(found ?? []), objects, helmChart: p.chart.helmChart,
    };
  });
}

/** actionSpec is spec.install or spec.upgrade, as the action says. */
const actionSpec = (spec: HelmReleaseSpec, action: ReleaseAction) => (action === "upgrade" ? spec.upgrade : spec.install) ?? {};

/** guard turns a failure to talk to the cluster through helm or the API into a FluxiacError; a forbidden request names the identity to grant. */
async function guard<T>(object: ObjectRef, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FluxiacError) throw err;
    const msg = errorMessage(err);
    if (/\bforbidden\b/.test(msg)) {
      throw new FluxiacError(object, "ApplyFailed", `${msg}; grant that permission to the identity helm acts as (serviceAccountName, else the defaultServiceAccount, else the kubeconfig user; on a remote cluster, the user of kubeConfig)`);
    }
    throw new FluxiacError(object, "ClusterUnavailable", `${msg}; check kubeconfig and that the API server is running`);
  }
}

/**
 * applyCRDs applies the chart's crds/ as the policy says: Create creates those missing, CreateReplace
 * applies them all (server-side, forced). Returns whether helm install must skip crds/.
 */
async function applyCRDs(p: Prepared, policy: "Skip" | "Create" | "CreateReplace", installing: boolean): Promise<boolean> {
  if (policy === "Skip") return true;
  if (policy === "Create" && installing) return false; // helm install creates them
  for (const text of await chartCRDs(p.target.chartDir)) {
    for (const doc of YAML.parseAllDocuments(text)) {
      const crd = doc.toJS() as KubeObject | null;
      if (!crd?.kind) continue;
      if (policy === "CreateReplace" || !(await readLive(p.m, crd))) await applyOne(p.m, crd);
    }
  }
  return true;
}

/** statusOf is the release's last version, as a read found it, as a HelmReleaseStatus. */
function statusOf(p: Prepared, state: ReleaseState, drifted?: string[]): HelmReleaseStatus | undefined {
  const last = state.hist.at(-1);
  if (!last) return undefined;
  const chartVersion = last.chart.startsWith(`${p.metadata.name}-`) ? last.chart.slice(p.metadata.name.length + 1) : last.chart;
  return recorded(p, { revision: last.revision, status: last.status, chartVersion, valuesDigest: state.deployedValuesDigest ?? "" }, drifted);
}

/** madeStatus is the release version a successful install or upgrade of p's chart made, as helm printed it. */
function madeStatus(p: Prepared, made: actions.ReleaseRecord): HelmReleaseStatus {
  const deployed = made.info.status === "deployed";
  return recorded(p, { revision: made.version, status: made.info.status, chartVersion: p.metadata.version, valuesDigest: deployed ? valuesDigest(made.config ?? {}) : "" });
}

/** recorded completes a release version's figures into the HelmReleaseStatus apply records. */
function recorded(p: Prepared, v: Pick<HelmReleaseStatus, "revision" | "status" | "chartVersion" | "valuesDigest">, drifted?: string[]): HelmReleaseStatus {
  return {
    releaseName: p.target.release, namespace: p.target.namespace, ...v, configDigest: p.configDigest,
    ...(drifted?.length ? { drifted } : {}), ...(p.chart.helmChart ? { helmChart: p.chart.helmChart } : {}),
  };
}

/**
 * takePlan takes over the plan of this spec made moments before in this process, when the store still
 * holds its chart; what it found of the release and the values is trusted only while the values and
 * post-render settings prepare computes again are the same.
 */
async function takePlan(name: string, spec: HelmReleaseSpec, ctx: ReconcileContext): Promise<PlannedRelease | undefined> {
  const planned = plans.take(planKey(name, spec));
  return planned && (await ctx.store.has(planned.chart.artifact.digest)) ? planned : undefined;
}

/**
 * applyHelmRelease installs or upgrades the release when the chart, values or post-render settings
 * changed (or the last version failed), remediating failures as spec.install/upgrade.remediation say,
 * runs the tests when spec.test.enable, and otherwise corrects drift (driftDetection.mode enabled) or
 * reports it (warn). Right after planHelmRelease of the same spec (within a minute, as Pulumi's check
 * then create/update), it takes over that plan's chart, release state, render check and drift instead
 * of asking helm and the cluster again. A failure after the release changed is a PartialFailureError
 * carrying the release's status, so the front-end records it.
 */
export async function applyHelmRelease(name: string, spec: HelmReleaseSpec, previous: Partial<HelmReleaseStatus> | undefined, ctx: ReconcileContext): Promise<HelmReleaseStatus> {
  const object = { kind: "HelmRelease", name };
  if (spec.suspend) {
    ctx.log.info(`HelmRelease "${name}": suspended; nothing done`);
    const { releaseName: rn = releaseName(name, spec), namespace = namespaces(spec).targetNamespace, revision = 0, status = "", chartVersion = "", valuesDigest: digest = "", configDigest = "" } = previous ?? {};
    return { ...previous, releaseName: rn, namespace, revision, status, chartVersion, valuesDigest: digest, configDigest };
  }
  checkDependencies(object, spec);
  return withHelm(await session(object, spec, ctx), async (s) => {
    const taken = await takePlan(name, spec, ctx);
    const p = await prepare(name, spec, s, ctx, { previousChart: previous?.helmChart, chart: taken?.chart });
    const planned = taken && taken.valuesDigest === p.valuesDigest && taken.configDigest === p.configDigest ? taken : undefined;
    const subject = `HelmRelease "${name}"`;
    let state = planned?.state ?? (await guard(object, () => releaseState(s, p)));
    if (isPending(state.hist.at(-1)?.status)) {
      const pending = state.hist.at(-1)!;
      await guard(object, () => unlockIfStale(object, p.m.api, p.target, pending, spec.timeout, ctx.log));
      state = await guard(object, () => releaseState(s, p));
    }
    const last = state.hist.at(-1);
    const { action, reason } = decideAction(p, last, state.deployedValuesDigest, previous?.configDigest);
    if (action === "none") {
      const found = planned?.drifted ?? (await guard(object, () => drift(p, spec, state)));
      if (found.length && spec.driftDetection?.mode === "enabled") {
        await guard(object, () => correctDrift(p.m, found));
        ctx.log.info(`${subject}: corrected drift of ${driftLines(found).join("; ")}`);
      } else if (found.length) {
        ctx.log.warn(`${subject}: drift detected (driftDetection.mode warn, not corrected): ${driftLines(found).join("; ")}`);
      }
      return statusOf(p, state, driftLines(found))!;
    }
    // Render first (unless the plan just did): a chart or values helm refuses fail here, naming the values, before the release changes.
    if (!planned?.rendered) {
      await renderRelease(s, p.target, p.post, actionSpec(spec, action)).catch((err) => {
        throw renderError(object, p, action, err);
      });
    }
    ctx.log.info(`${subject}: ${action} of release ${p.target.namespace}/${p.target.release} with chart ${p.metadata.name} ${p.metadata.version} (${reason})`);
    const installing = action === "install" || action === "reinstall";
    const policy = installing ? (spec.install?.crds ?? "Create") : (spec.upgrade?.crds ?? "Skip");
    const run = { s, t: { ...p.target }, spec, m: p.m, log: ctx.log, subject, skipCRDs: false };
    let made: actions.ReleaseRecord;
    try {
      if (action === "reinstall") {
        ctx.log.info(`${subject}: uninstalling release ${p.target.namespace}/${p.target.release} before installing chart ${p.metadata.name} (upgrade.chartNameChangeStrategy Reinstall)`);
        await actions.uninstall(s, p.target, spec.uninstall ?? {});
      }
      run.skipCRDs = await applyCRDs(p, policy, installing);
      if (installing) {
        // A release uninstalled with keepHistory keeps its name: install replaces it.
        const replace = last?.status === "uninstalled" || action === "reinstall" || spec.install?.replace;
        made = await installRelease({ ...run, spec: { ...spec, install: { ...spec.install, replace } } });
      } else {
        const deployed = [...state.hist].reverse().find((h) => h.status === "deployed" || h.status === "superseded");
        made = await upgradeRelease(run, deployed?.revision);
      }
    } catch (err) {
      const reasonCode = installing ? "InstallFailed" : "UpgradeFailed";
      const cancelled = ctx.signal?.aborted === true;
      const msg = cancelled
        ? `${action} was cancelled (the run was interrupted): apply again to finish`
        : err instanceof ReleaseFailedError || err instanceof HelmCommandError ? err.message : `${action} failed: ${errorMessage(err)}`;
      // Interrupted (Ctrl-C): the session's helm is cancelled, so read what helm left with a fresh one.
      const read = (h: HelmSession) => releaseState(h, p).then((after) => statusOf(p, after));
      const now = await (cancelled ? withHelm({ cluster: s.cluster }, read) : read(s)).catch(() => undefined);
      if (now) throw new PartialFailureError(object, cancelled ? "Cancelled" : reasonCode, `${msg}; the release is at version ${now.revision} (${now.status})`, now);
      throw new FluxiacError(object, cancelled ? "Cancelled" : reasonCode, msg);
    }
    const now = madeStatus(p, made);
    ctx.log.info(`${subject}: release ${p.target.namespace}/${p.target.release} is at version ${now.revision} (${now.status}), chart ${p.metadata.name} ${now.chartVersion}`);
    return now;
  });
}

/** deleteHelmRelease uninstalls the release (spec.uninstall's options); a release that is gone is fine. */
export async function deleteHelmRelease(name: string, spec: HelmReleaseSpec, recorded: Partial<HelmReleaseStatus> | undefined, ctx: ReconcileContext): Promise<void> {
  const object = { kind: "HelmRelease", name };
  const release = recorded?.releaseName ?? releaseName(name, spec);
  const namespace = recorded?.namespace ?? namespaces(spec).targetNamespace;
  await withHelm(await session(object, spec, ctx), async (s) => {
    try {
      await actions.uninstall(s, { release, namespace, timeout: spec.timeout ?? "5m" }, spec.uninstall ?? {});
    } catch (err) {
      throw new FluxiacError(object, "UninstallFailed", `${errorMessage(err)}; fix the cause and destroy again`);
    }
  });
  ctx.log.info(`HelmRelease "${name}": uninstalled release ${namespace}/${release}`);
}
