// HelmChart engine verbs: plan (select the version or read the chart's, build only when the revision or
// the settings changed) and ensure (rebuild exactly this artifact). Sources: HelmRepository, GitRepository,
// Bucket.
import { createHash } from "node:crypto";
import type { Artifact } from "../artifact/artifact";
import { FluxiacError, digestMismatch, errorMessage, type ObjectRef } from "../errors";
import type { HelmChartSpec } from "../source/helm-types";
import { ChartArchiveError } from "../source/helm/chart-archive";
import { buildLocalChart, ChartPathError, type LocalChartOptions } from "../source/helm/chart-local";
import { ChartBuildError } from "../source/helm/chart-package";
import { listOCIChartVersions, pullOCIChart } from "../source/helm/chart-oci";
import { prepareChart, pullRemoteChart, type BuiltChart } from "../source/helm/chart-remote";
import { isInsidePath, ValuesFileError } from "../source/helm/chart-values";
import { ChartLookupError, selectChartVersion, validVersions, type ChartVersion, type IndexFile } from "../source/helm/index-file";
import { RegistryError } from "../source/oci";
import { readIndex } from "../source/helm/repository";
import { UnsafeArchiveError } from "../artifact/archive";
import type { ReconcileContext } from "./context";
import { helmRepositoryType } from "./helm-repository";
import { ensureSourceArtifact, type SourceReference } from "./source-reference";

type HelmRepositoryRef = Extract<SourceReference, { kind: "HelmRepository" }>;

/** HelmChartStatus is what a previous reconcile observed. */
export interface HelmChartStatus {
  artifact?: Artifact;
  /** helmChartSettings of the spec that built that artifact; a change forces a new build. */
  observedSettings?: string;
}

/** HelmChartResult is a reconciled HelmChart. */
export interface HelmChartResult {
  artifact: Artifact;
  /** false when the previous artifact was reused without downloading or packaging. */
  fetched: boolean;
  observedSettings: string;
}

const kind = "HelmChart";
const SOURCE_KINDS = ["HelmRepository", "GitRepository", "Bucket"];

/** validateHelmChart returns the problems of a spec, each naming its field. */
export function validateHelmChart(spec: HelmChartSpec): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  const sourceKind = spec.sourceRef?.kind;
  if (!SOURCE_KINDS.includes(sourceKind)) problems.push({ property: "sourceRef", reason: `sourceRef must be a HelmRepository, GitRepository or Bucket, not ${sourceKind ?? "nothing"}` });
  if (!spec.chart) problems.push({ property: "chart", reason: "chart is required (a chart name, or a path inside a GitRepository or Bucket)" });
  else if (sourceKind === "HelmRepository" && /[/\\]/.test(spec.chart)) problems.push({ property: "chart", reason: `chart "${spec.chart}" must be a chart name in the HelmRepository, not a path` });
  else if (sourceKind !== "HelmRepository" && !isInsidePath(spec.chart)) problems.push({ property: "chart", reason: `chart "${spec.chart}" must be a relative path inside the source artifact (no "..", not absolute)` });
  if (spec.reconcileStrategy !== undefined && spec.reconcileStrategy !== "ChartVersion" && spec.reconcileStrategy !== "Revision") {
    problems.push({ property: "reconcileStrategy", reason: `reconcileStrategy "${spec.reconcileStrategy}" must be ChartVersion or Revision` });
  }
  for (const f of spec.valuesFiles ?? []) if (!isInsidePath(f)) problems.push({ property: "valuesFiles", reason: `values file "${f}" must be a relative path inside the chart` });
  return problems;
}

/** helmChartSettings is a digest of everything besides the version that shapes the chart artifact. */
export function helmChartSettings(spec: HelmChartSpec): string {
  const source = spec.sourceRef;
  const settings = {
    source: [source.kind, source.name, source.kind === "HelmRepository" ? source.spec.url : ""],
    chart: spec.chart,
    valuesFiles: spec.valuesFiles ?? [],
    ignoreMissingValuesFiles: spec.ignoreMissingValuesFiles ?? false,
    reconcileStrategy: spec.reconcileStrategy ?? "ChartVersion",
  };
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 16);
}

/** revisionMetadata is Flux's `+<first 12 hex>` of a Git commit or Bucket digest (reconcileStrategy Revision). */
export function revisionMetadata(revision: string): string {
  const last = revision.split("/").pop() ?? revision;
  const hex = /(?:sha1|sha256):([0-9a-f]+)$/.exec(last)?.[1] ?? last;
  return hex.slice(0, 12);
}

/** chartError turns a builder's error into a FluxiacError naming the object and the fix. */
function chartError(object: ObjectRef, err: unknown): FluxiacError {
  if (err instanceof FluxiacError) return err;
  if (err instanceof RegistryError) return new FluxiacError(object, err.reason, err.message);
  if (err instanceof ChartLookupError) return new FluxiacError(object, err.reason, err.message);
  if (err instanceof ValuesFileError || err instanceof ChartPathError) return new FluxiacError(object, "BuildFailed", err.message);
  if (err instanceof UnsafeArchiveError || err instanceof ChartArchiveError) return new FluxiacError(object, "ArtifactFailed", `the chart archive is rejected: ${err.message}`);
  if (err instanceof ChartBuildError) return new FluxiacError(object, "BuildFailed", `packaging the chart failed: ${err.message}`);
  return new FluxiacError(object, "BuildFailed", errorMessage(err));
}

/** remoteEntry selects the chart version from the HelmRepository's index, or from the OCI registry's tags. */
async function remoteEntry(spec: HelmChartSpec, ref: HelmRepositoryRef, ctx: ReconcileContext, exactVersion?: string): Promise<ChartVersion> {
  const index: IndexFile =
    helmRepositoryType(ref.spec) === "oci"
      ? { apiVersion: "v1", entries: { [spec.chart]: validVersions(await listOCIChartVersions({ repository: ref.spec, chart: spec.chart, signal: ctx.signal })) } }
      : await readIndex(await ensureSourceArtifact(ref, ctx));
  try {
    return selectChartVersion(index, spec.chart, exactVersion ?? spec.version ?? "*");
  } catch (err) {
    if (err instanceof ChartLookupError) throw new ChartLookupError(err.reason, `HelmRepository "${ref.name}": ${err.message}`);
    throw err;
  }
}

/** pullChart downloads the selected chart over HTTP or from the OCI registry and prepares it. */
async function pullChart(object: ObjectRef, spec: HelmChartSpec, ref: HelmRepositoryRef, cv: ChartVersion, ctx: ReconcileContext): Promise<BuiltChart> {
  const opts = { valuesFiles: spec.valuesFiles, ignoreMissingValuesFiles: spec.ignoreMissingValuesFiles, signal: ctx.signal };
  if (helmRepositoryType(ref.spec) === "oci") {
    return prepareChart(object, cv, await pullOCIChart({ repository: ref.spec, chart: spec.chart, signal: ctx.signal }, cv.version), opts);
  }
  return pullRemoteChart(object, cv, { ...opts, repositoryName: ref.name, repository: ref.spec });
}

/** localOptions are the packaging options of a chart from a GitRepository or Bucket artifact. */
function localOptions(spec: HelmChartSpec, source: Artifact, ctx: ReconcileContext): LocalChartOptions {
  return {
    chart: spec.chart,
    valuesFiles: spec.valuesFiles,
    ignoreMissingValuesFiles: spec.ignoreMissingValuesFiles,
    versionMetadata: spec.reconcileStrategy === "Revision" ? revisionMetadata(source.revision) : undefined,
    signal: ctx.signal,
  };
}

async function store(built: BuiltChart, ctx: ReconcileContext, metadata?: Record<string, string>): Promise<Artifact> {
  const { digest, size } = await ctx.store.putBuffer(built.data);
  return metadata ? { revision: built.revision, digest, size, metadata } : { revision: built.revision, digest, size };
}

/**
 * planHelmChart resolves the chart version: from the HelmRepository's index (Flux's selection rules) or
 * from Chart.yaml in the GitRepository/Bucket artifact. When that version (with the source revision for
 * reconcileStrategy Revision) and the settings equal the previous reconcile and the store holds the
 * artifact, nothing is downloaded or packaged.
 */
export async function planHelmChart(name: string, spec: HelmChartSpec, previous: HelmChartStatus | undefined, ctx: ReconcileContext): Promise<HelmChartResult> {
  const object = { kind, name };
  const problems = validateHelmChart(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  const observedSettings = helmChartSettings(spec);
  const prev = previous?.observedSettings === observedSettings ? previous.artifact : undefined;
  const reusable = async (matches: boolean) => Boolean(prev && matches && (await ctx.store.has(prev.digest)));
  try {
    const ref = spec.sourceRef;
    if (ref.kind === "HelmRepository") {
      const cv = await remoteEntry(spec, ref, ctx);
      if (await reusable(prev?.metadata?.version === cv.version)) {
        ctx.log.debug(`${kind} "${name}": chart version ${cv.version} unchanged`);
        return { artifact: prev!, fetched: false, observedSettings };
      }
      const built = await pullChart(object, spec, ref, cv, ctx);
      const artifact = await store(built, ctx, { chart: cv.name, version: cv.version });
      ctx.log.info(`${kind} "${name}": stored chart ${cv.name} ${artifact.revision} (${artifact.size} bytes)`);
      return { artifact, fetched: true, observedSettings };
    }
    const built = await buildLocalChart(await ensureSourceArtifact(ref, ctx), {
      ...localOptions(spec, ref.artifact, ctx),
      reuse: (revision) => reusable(prev?.revision === revision),
    });
    if (!built.data) return { artifact: prev!, fetched: false, observedSettings };
    const artifact = await store(built, ctx);
    ctx.log.info(`${kind} "${name}": packaged chart ${spec.chart} ${artifact.revision} from ${ref.kind} "${ref.name}" (${artifact.size} bytes)`);
    return { artifact, fetched: true, observedSettings };
  } catch (err) {
    throw chartError(object, err);
  }
}

/**
 * ensureHelmChartArtifact makes sure the store holds exactly this chart. Without it, the same version
 * is built again from the source; a different digest is an error naming both digests.
 */
export async function ensureHelmChartArtifact(name: string, spec: HelmChartSpec, artifact: Artifact, ctx: ReconcileContext): Promise<string> {
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  const object = { kind, name };
  ctx.log.info(`${kind} "${name}": chart ${artifact.digest.slice(0, 19)}… not in the local store; building ${artifact.revision} again`);
  let fresh: Artifact;
  try {
    const ref = spec.sourceRef;
    if (ref.kind === "HelmRepository") {
      const cv = await remoteEntry(spec, ref, ctx, artifact.metadata?.version ?? artifact.revision);
      fresh = await store(await pullChart(object, spec, ref, cv, ctx), ctx);
    } else {
      fresh = await store((await buildLocalChart(await ensureSourceArtifact(ref, ctx), localOptions(spec, ref.artifact, ctx))) as BuiltChart, ctx);
    }
  } catch (err) {
    throw chartError(object, err);
  }
  if (fresh.digest !== artifact.digest || fresh.revision !== artifact.revision) {
    throw digestMismatch(object, `chart revision ${artifact.revision}`, artifact.digest, `the rebuilt chart (${fresh.revision}) is ${fresh.digest}`, "the chart or its source changed under the same version");
  }
  return ctx.store.path(artifact.digest);
}
