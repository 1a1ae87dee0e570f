// fluxiac_helm_release: Flux's HelmRelease. The plan resolves the chart, merges the values, renders and
// compares with the release in the cluster (so `terraform plan` shows the chart version, the values digest,
// the action and drift); the apply installs or upgrades with remediation; destroy uninstalls; the refresh
// reports drift. The HelmChart made for the release and the last post-render digest travel in the private state.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { FluxiacError, PartialFailureError } from "../../core/errors";
import type { HelmReleaseSpec } from "../../core/helm/types";
import type { KustomizationDependency } from "../../core/reconcile/depends-on";
import type { HelmChartStatus } from "../../core/reconcile/helm-chart";
import type { HelmReleasePlan, HelmReleaseStatus } from "../../core/reconcile/helm-release";
import { hasUnknown, UNKNOWN, type CtyObject } from "../cty";
import { AttributeError, attributePath, error, type Diagnostic } from "../diagnostics";
import { engineProps, nullObject } from "../schema";
import { clusterOf } from "./common";
import { attributes, specAttributes } from "./helm-release-schema";
import { ApplyFailure, type CallContext, type ResourceType, type Stored } from "./resource";

const kind = "HelmRelease";

/** Private is the private state: the HelmChart the next plan reuses, and the post-render digest last applied. */
interface Private {
  helmChart?: HelmChartStatus;
  configDigest?: string;
}

/** engine loads the HelmRelease engine on first use, so the plugin starts without helm's machinery. */
const engine = (): typeof import("../../core/reconcile/helm-release") => require("../../core/reconcile/helm-release");

const readPrivate = (b: Buffer | undefined): Private | undefined => (b?.length ? (JSON.parse(b.toString("utf8")) as Private) : undefined);
const writePrivate = (p: Private): Buffer => Buffer.from(JSON.stringify(p));

/** parseRef reads a source_reference attribute; a bad value is an error on that attribute. */
function parseRef(v: unknown, path: string) {
  let ref: { kind?: string; name?: string; spec?: unknown } | undefined;
  try {
    ref = JSON.parse(String(v));
  } catch {
    ref = undefined;
  }
  if (!ref || typeof ref !== "object" || !ref.kind || !ref.name || !ref.spec) {
    throw new AttributeError(new Error(`${path.replace(/([A-Z])/g, (c) => `_${c.toLowerCase()}`)} must be a source's source_reference, e.g. fluxiac_helm_repository.charts.source_reference`), path);
  }
  return ref;
}

/** parseValues reads the values attribute: a JSON object. */
function parseValues(v: unknown): Record<string, unknown> {
  let values: unknown;
  try {
    values = JSON.parse(String(v));
  } catch (err) {
    throw new AttributeError(new Error(`values is not JSON (${(err as Error).message}): write values = jsonencode({...})`), "values");
  }
  if (!values || typeof values !== "object" || Array.isArray(values)) throw new AttributeError(new Error("values must be a JSON object of chart values: values = jsonencode({...})"), "values");
  return values as Record<string, unknown>;
}

/** openAPI renames disableOpenApiValidation (the Terraform name's camelCase) to Flux's disableOpenAPIValidation. */
function openAPI(action: Record<string, unknown> | undefined) {
  if (!action || !("disableOpenApiValidation" in action)) return action;
  const { disableOpenApiValidation, ...rest } = action;
  return { ...rest, disableOpenAPIValidation: disableOpenApiValidation };
}

/** specOf turns the configured attributes into the engine spec; the provider's cluster is the default. */
export function specOf(o: CtyObject, ctx: Pick<CallContext, "cluster">): HelmReleaseSpec {
  const { chart, chartRef, kubeconfig, context, dependencies, values, install, upgrade, ...rest } = engineProps(specAttributes, o) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    ...rest,
    ...(chart ? { chart: { spec: { ...chart.spec, sourceRef: parseRef(chart.spec.sourceRef, "chart.spec.sourceRef") } } } : {}),
    ...(chartRef ? { chartRef: parseRef(chartRef, "chartRef") } : {}),
    ...(values !== undefined ? { values: parseValues(values) } : {}),
    ...(install ? { install: openAPI(install) } : {}),
    ...(upgrade ? { upgrade: openAPI(upgrade) } : {}),
    ...(dependencies ? { dependsOn: (dependencies as string[]).map((d) => JSON.parse(d) as KustomizationDependency) } : {}),
    cluster: clusterOf(kubeconfig, context, ctx.cluster),
  } as HelmReleaseSpec;
}

/** planRelease runs the engine's plan, tracing a chart lookup failure to chart.spec.chart or chart.spec.version. */
async function planRelease(name: string, spec: HelmReleaseSpec, previous: Partial<HelmReleaseStatus> | undefined, ctx: CallContext): Promise<HelmReleasePlan> {
  try {
    return await engine().planHelmRelease(name, spec, previous, ctx);
  } catch (err) {
    if (err instanceof FluxiacError && spec.chart) {
      if (/check version$|version "[^"]*" is not a semver constraint/.test(err.message)) throw new AttributeError(err, "chart.spec.version");
      if (/check chart$/.test(err.message)) throw new AttributeError(err, "chart.spec.chart");
    }
    throw err;
  }
}

/**
 * refreshed holds the plans the refresh made, for the plan that follows in the same process (Terraform
 * reads, then plans): with the same spec and prior state, the plan reuses the refresh's render.
 */
const refreshed = new Map<string, { plan: HelmReleasePlan; at: number }>();
const refreshKey = (name: string, spec: HelmReleaseSpec, previous: unknown) => createHash("sha256").update(JSON.stringify([name, spec, previous])).digest("hex");

async function planOnce(name: string, spec: HelmReleaseSpec, previous: Partial<HelmReleaseStatus> | undefined, ctx: CallContext): Promise<HelmReleasePlan> {
  const key = refreshKey(name, spec, previous);
  const cached = refreshed.get(key);
  refreshed.delete(key);
  if (cached && Date.now() - cached.at < 60_000) {
    ctx.log.debug(`HelmRelease "${name}": the plan reuses the refresh's render`);
    return cached.plan;
  }
  return planRelease(name, spec, previous, ctx);
}

/** recorded is the release status the state holds, plus the private state. */
function recorded(o: CtyObject | null, priv: Private | undefined): Partial<HelmReleaseStatus> | undefined {
  if (!o) return priv;
  const [namespace, releaseName] = typeof o.release === "string" ? o.release.split("/", 2) : [];
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    ...(releaseName ? { releaseName, namespace } : {}),
    ...(typeof o.revision === "number" ? { revision: o.revision } : {}),
    status: str(o.status),
    chartVersion: str(o.chart_version),
    valuesDigest: str(o.values_digest),
    ...priv,
  };
}

function summary(p: HelmReleasePlan): CtyObject {
  return {
    action: p.action, reason: p.reason, release: `${p.namespace}/${p.releaseName}`, chart: p.chart, chart_version: p.chartVersion,
    values_digest: p.valuesDigest, drifted: p.drifted, objects: p.objects,
  };
}

function statusValues(s: HelmReleaseStatus): CtyObject {
  return { release: `${s.namespace}/${s.releaseName}`, chart_version: s.chartVersion, values_digest: s.valuesDigest, revision: s.revision, status: s.status };
}

const idOf = (o: CtyObject) => (typeof o.name === "string" && !hasUnknown(o.namespace) ? `${(o.namespace as string | null) ?? "flux-system"}/${o.name}` : UNKNOWN);
const configValues = (o: CtyObject) => Object.fromEntries(["name", ...Object.keys(specAttributes)].map((n) => [n, o[n]]));
const COMPUTED = ["plan", "release", "chart_version", "values_digest", "revision", "status"];
const unknownComputed = () => Object.fromEntries([...COMPUTED, "dependency"].map((k) => [k, UNKNOWN]));

/** withDependency adds the `dependency` attribute (what dependents check), unknown while its parts are. */
function withDependency(o: CtyObject): CtyObject {
  if ([o.name, o.plan, o.chart_version, o.status].some(hasUnknown)) return { ...o, dependency: UNKNOWN };
  const deployed = o.status === "deployed";
  const dep: KustomizationDependency = {
    kind,
    name: o.name as string,
    revision: ((o.plan as CtyObject | null)?.chart_version as string | undefined) ?? undefined,
    lastAppliedRevision: deployed ? (o.chart_version as string) : undefined,
    health: { status: deployed ? "Current" : "Failed", message: `release status ${o.status ?? "unknown"}`, checked: 0 },
    suspend: o.suspend === true,
  };
  return { ...o, dependency: JSON.stringify(dep) };
}

/** validateConfig reports the problems of the known parts of a configuration, each on its attribute. */
function validateConfig(config: CtyObject): Diagnostic[] {
  const named = (m: string) => `${kind} "${config.name}": ${m}`;
  const problems: Diagnostic[] = [];
  if (config.chart === null && config.chart_ref === null) problems.push(error(named("set chart (chart.spec.source_ref) or chart_ref"), "", "chart"));
  if (config.chart !== null && config.chart_ref !== null && !hasUnknown(config.chart_ref)) problems.push(error(named("chart and chart_ref are exclusive: set one"), "", "chartRef"));
  if (hasUnknown(Object.values(configValues(config)))) return problems;
  try {
    const { validateHelmRelease }: typeof import("../../core/helm/prepare") = require("../../core/helm/prepare");
    const problemsOf = validateHelmRelease(specOf(config, {}));
    for (const p of problemsOf) {
      const field = /^([a-z][A-Za-z0-9.[\]]*)[: ]/.exec(p)?.[1];
      problems.push({ ...error(named(p)), ...(field ? { attribute: attributePath(field) } : {}) });
    }
  } catch (err) {
    if (err instanceof AttributeError) problems.push({ ...error(named(err.message)), attribute: attributePath(err.path) });
  }
  return problems;
}

/** helmRelease is the fluxiac_helm_release resource type. */
export const helmRelease: ResourceType = {
  typeName: "fluxiac_helm_release",
  kind,
  description: "Flux's HelmRelease: rendered and compared with the release during terraform plan, installed or upgraded by helm.",
  attributes,
  validate: validateConfig,

  async plan({ prior, priorPrivate, proposed, config }, ctx) {
    const base: CtyObject = { ...proposed, id: idOf(config) };
    const own = { ...configValues(config), dependencies: null };
    if (hasUnknown(own) || ctx.clusterUnknown) return { state: { ...base, ...unknownComputed(), drift: [] }, private: priorPrivate };
    const name = config.name as string;
    const spec = specOf(hasUnknown(config.dependencies) ? { ...config, dependencies: null } : config, ctx);
    const priv = readPrivate(priorPrivate);
    const p = await planOnce(name, spec, recorded(prior, priv), ctx);
    const nextPrivate = writePrivate({ helmChart: p.helmChart ?? priv?.helmChart, configDigest: priv?.configDigest });
    const mode = spec.driftDetection?.mode ?? "disabled";
    const priorDrifted = ((prior?.plan as CtyObject | null)?.drifted as string[] | undefined) ?? [];
    const driftWork = p.drifted.length > 0 && (mode === "enabled" || !isDeepStrictEqual(priorDrifted, p.drifted));
    const needsWork = !spec.suspend && (p.action !== "none" || driftWork);
    const recordedRelease = prior !== null && typeof prior.revision === "number";
    if (!needsWork && recordedRelease && isDeepStrictEqual(configValues(prior), configValues(proposed))) return { state: withDependency(base), private: nextPrivate };
    const keep = p.action === "none" && recordedRelease;
    const state: CtyObject = {
      ...base,
      plan: summary(p),
      release: `${p.namespace}/${p.releaseName}`,
      chart_version: p.chartVersion,
      values_digest: p.valuesDigest,
      revision: keep ? prior!.revision : UNKNOWN,
      status: keep ? prior!.status : UNKNOWN,
      // Drift that the apply corrects is gone after it; reported drift (mode warn) stays.
      drift: p.action === "none" && mode === "warn" ? p.drifted : [],
    };
    return { state: withDependency(state), private: nextPrivate };
  },

  async apply({ prior, planned: plannedState, plannedPrivate }, ctx) {
    const name = plannedState.name as string;
    const spec = specOf(plannedState, ctx);
    const priv = readPrivate(plannedPrivate);
    const previous = recorded(prior, priv);
    let state: CtyObject = { ...plannedState, id: idOf(plannedState) };
    if (hasUnknown(plannedState.plan)) {
      // Planned while values were unknown: plan now, as the apply walk's final plan would have.
      const p = await planRelease(name, spec, previous, ctx);
      state = { ...state, plan: summary(p) };
      if (previous && p.helmChart) previous.helmChart = p.helmChart;
    }
    try {
      const status = await engine().applyHelmRelease(name, spec, previous, ctx);
      return { state: withDependency({ ...state, ...statusValues(status) }), private: writePrivate({ helmChart: status.helmChart, configDigest: status.configDigest }) };
    } catch (err) {
      if (err instanceof PartialFailureError) {
        // The release changed: record it as it is, so the next apply converges and destroy finds it.
        const s = err.state as HelmReleaseStatus;
        throw new ApplyFailure({ state: withDependency({ ...state, ...statusValues(s) }), private: writePrivate({ helmChart: s.helmChart, configDigest: s.configDigest }) }, err);
      }
      if (prior) throw new ApplyFailure({ state: prior, private: plannedPrivate }, err);
      throw err;
    }
  },

  async destroy(prior, priorPrivate, ctx) {
    const name = prior.name as string;
    await engine().deleteHelmRelease(name, specOf(prior, ctx), recorded(prior, readPrivate(priorPrivate)), ctx);
  },

  async read(state, priv, ctx): Promise<Stored | null> {
    // An imported HelmRelease has no chart yet: the next plan, with the configuration, fills it in.
    if ((state.chart === null && state.chart_ref === null) || state.suspend === true || ctx.clusterUnknown) return { state, private: priv };
    const name = state.name as string;
    const spec = specOf(state, ctx);
    const previous = recorded(state, readPrivate(priv));
    const p = await planRelease(name, spec, previous, ctx);
    refreshed.set(refreshKey(name, spec, previous), { plan: p, at: Date.now() });
    // A release uninstalled by hand is gone: Terraform plans to install it again.
    if (p.action === "install" && typeof state.revision === "number") return null;
    return { state: { ...state, drift: p.drifted }, private: priv };
  },

  async importState(id) {
    const [namespace, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
    if (!name) throw new FluxiacError({ kind, name: id }, "ValidationFailed", "import id must be <namespace>/<name> or <name>");
    const base = { ...nullObject(attributes), name, namespace: namespace ?? null, drift: [] };
    return { state: { ...base, id: idOf(base) } };
  },
};
