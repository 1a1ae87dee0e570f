// Charts from a HelmRepository: download the selected version over HTTP (URL relative to the repository or
// absolute) and verify the index digest; every downloaded chart (HTTP or OCI) is checked and valuesFiles are
// applied by packaging it again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FluxiacError, type ObjectRef } from "../../errors";
import type { HelmRepositorySpec } from "../helm-types";
import { CHART_MAX_BYTES, readChartArchive } from "./chart-archive";
import { packageChart, writeChartArchive } from "./chart-package";
import { HelmGetter } from "./http";
import { chartUrl, type ChartVersion } from "./index-file";

/** RemoteChartOptions are the HelmChart fields that shape a chart from a HelmRepository. */
export interface RemoteChartOptions {
  /** The HelmRepository's name, for messages. */
  repositoryName: string;
  repository: HelmRepositorySpec;
  valuesFiles?: string[];
  ignoreMissingValuesFiles?: boolean;
  signal?: AbortSignal;
}

/** BuiltChart is a chart archive ready for the store, with Flux's revision (the chart version). */
export interface BuiltChart {
  data: Buffer;
  revision: string;
}

/**
 * pullRemoteChart downloads one index entry's chart and prepares it (prepareChart). The index digest,
 * when present, must match the downloaded bytes.
 */
export async function pullRemoteChart(object: ObjectRef, cv: ChartVersion, opts: RemoteChartOptions): Promise<BuiltChart> {
  const url = chartUrl(opts.repository.url, cv);
  const getter = new HelmGetter(object, opts.repository, opts.signal);
  let downloaded: { data: Buffer; sha256: string };
  try {
    downloaded = await getter.get(url, { maxBytes: CHART_MAX_BYTES, what: `chart "${cv.name}" ${cv.version} of HelmRepository "${opts.repositoryName}"` });
  } finally {
    await getter.close();
  }
  const expected = cv.digest?.replace(/^sha256:/, "");
  if (expected && expected !== downloaded.sha256) {
    throw new FluxiacError(object, "ArtifactFailed", `chart "${cv.name}" ${cv.version} has digest sha256:${downloaded.sha256}, but the index says sha256:${expected}: the repository is inconsistent`);
  }
  return prepareChart(object, cv, downloaded.data, opts);
}

/**
 * prepareChart checks a downloaded chart archive and applies valuesFiles: the merged values replace
 * values.yaml and the version gets `+<12 hex of the merged values' sha256>` (Flux appends the object's
 * generation, which fluxiac does not have). Without valuesFiles the archive is kept as it is.
 */
export async function prepareChart(object: ObjectRef, cv: ChartVersion, data: Buffer, opts: Pick<RemoteChartOptions, "valuesFiles" | "ignoreMissingValuesFiles" | "signal">): Promise<BuiltChart> {
  const archive = await readChartArchive(data).catch((err: Error) => {
    throw new FluxiacError(object, "ArtifactFailed", `chart "${cv.name}" ${cv.version} is rejected: ${err.message}`);
  });
  if (!opts.valuesFiles?.length) return { data, revision: archive.version };
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-chart-"));
  try {
    const chartDir = await writeChartArchive(archive, dir);
    const packaged = await packageChart(chartDir, {
      valuesFiles: opts.valuesFiles,
      ignoreMissingValuesFiles: opts.ignoreMissingValuesFiles,
      versionMetadata: "values",
      signal: opts.signal,
    });
    return { data: packaged.data, revision: packaged.archive.version };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
