// Charts from a GitRepository or Bucket artifact: extract it, find the chart directory (which must stay
// inside the artifact), and package it with `helm package`.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { extract } from "../../artifact/archive";
import { normalizeChartArchive, readChartArchive } from "./chart-archive";
import { packageChart, readChartYaml, withMetadata, writeChartArchive } from "./chart-package";
import { isInsidePath } from "./chart-values";
import type { BuiltChart } from "./chart-remote";

/** LocalChartOptions are the HelmChart fields that shape a chart packaged from a source artifact. */
export interface LocalChartOptions {
  /** Path of the chart directory inside the artifact. */
  chart: string;
  valuesFiles?: string[];
  ignoreMissingValuesFiles?: boolean;
  /** Build metadata for the version (reconcileStrategy Revision). */
  versionMetadata?: string;
  /** reuse is asked with the revision the chart would get; true skips packaging. */
  reuse?: (revision: string) => Promise<boolean>;
  signal?: AbortSignal;
}

/** ChartPathError reports a chart path that is not a chart directory inside the artifact. */
export class ChartPathError extends Error {}

/**
 * buildLocalChart packages the chart directory at `chart` inside the artifact, or takes the packaged
 * chart (.tgz) found there, as Flux does; it returns only the revision when reused.
 */
export async function buildLocalChart(artifactPath: string, opts: LocalChartOptions): Promise<BuiltChart | { revision: string; data?: undefined }> {
  if (!isInsidePath(opts.chart)) throw new ChartPathError(`chart "${opts.chart}" must be a relative path inside the source artifact (no "..", not absolute)`);
  const root = await mkdtemp(join(tmpdir(), "fluxiac-chart-src-"));
  try {
    await extract(artifactPath, root);
    const chartDir = join(root, posix.normalize(opts.chart));
    const found = await stat(chartDir).catch(() => undefined);
    if (found?.isFile()) return await packagedChart(chartDir, root, opts);
    if (!found?.isDirectory()) throw new ChartPathError(`chart path "${opts.chart}" was not found in the source artifact: check chart`);
    const meta = await readChartYaml(chartDir).catch((err: Error) => {
      throw new ChartPathError(`chart path "${opts.chart}" is not a chart: ${err.message}`);
    });
    const revision = opts.versionMetadata ? withMetadata(meta.version!, opts.versionMetadata) : meta.version!;
    if (await opts.reuse?.(revision)) return { revision };
    return await packageWithSettings(chartDir, root, opts);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** packagedChart takes a chart .tgz from the artifact: checked, and packaged again only to apply settings. */
async function packagedChart(file: string, root: string, opts: LocalChartOptions): Promise<BuiltChart | { revision: string }> {
  const archive = await readChartArchive(await readFile(file)).catch((err: Error) => {
    throw new ChartPathError(`chart "${opts.chart}" is neither a chart directory nor a usable chart archive: ${err.message}`);
  });
  const revision = opts.versionMetadata ? withMetadata(archive.version, opts.versionMetadata) : archive.version;
  if (await opts.reuse?.(revision)) return { revision };
  if (!opts.valuesFiles?.length && !opts.versionMetadata) return { data: await normalizeChartArchive(archive), revision };
  const chartDir = await writeChartArchive(archive, await mkdtemp(join(root, "packaged-")));
  return packageWithSettings(chartDir, root, opts);
}

/** packageWithSettings packages a chart directory with the HelmChart's valuesFiles and version metadata. */
async function packageWithSettings(chartDir: string, root: string, opts: LocalChartOptions): Promise<BuiltChart> {
  const packaged = await packageChart(chartDir, {
    valuesFiles: opts.valuesFiles,
    ignoreMissingValuesFiles: opts.ignoreMissingValuesFiles,
    versionMetadata: opts.versionMetadata,
    root,
    signal: opts.signal,
  });
  return { data: packaged.data, revision: packaged.archive.version };
}
