// Charts from an OCI HelmRepository (`oci://host/path`): the chart lives at `<path>/<chart>`, its versions
// are tags (`_` stands for `+`), and the chart is the layer of media type
// application/vnd.cncf.helm.chart.content.v1.tar+gzip.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../../duration";
import type { HelmRepositorySpec } from "../helm-types";
import { MEDIA_TYPES, parseOCIReference, RegistryClient, RegistryError, tagOfVersion } from "../oci";
import { CHART_MAX_BYTES } from "./chart-archive";
import type { ChartVersion } from "./index-file";

/** OCIChartOptions name the chart in the registry. */
export interface OCIChartOptions {
  repository: HelmRepositorySpec;
  chart: string;
  signal?: AbortSignal;
}

function client(o: OCIChartOptions): { client: RegistryClient; repository: string; url: string } {
  const ref = parseOCIReference(`${o.repository.url.replace(/\/+$/, "")}/${o.chart}`);
  const { username, password } = o.repository.auth ?? {};
  return {
    client: new RegistryClient({
      host: ref.host,
      insecure: o.repository.insecure,
      auth: username && password ? { username, password } : undefined,
      tls: o.repository.tls,
      timeoutMs: parseDuration(o.repository.timeout ?? "60s", "timeout"),
      signal: o.signal,
    }),
    repository: ref.repository,
    url: `oci://${ref.host}/${ref.repository}`,
  };
}

/** listOCIChartVersions lists the chart's tags as index entries (tags that are not semver are dropped later). */
export async function listOCIChartVersions(o: OCIChartOptions): Promise<ChartVersion[]> {
  const { client: c, repository, url } = client(o);
  try {
    const tags = await c.listTags(repository);
    return tags.map((tag) => ({ name: o.chart, version: tag.replace(/_/g, "+"), urls: [`${url}:${tag}`] }));
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) throw new RegistryError("ChartNotFound", `chart "${o.chart}" is not in ${o.repository.url} (${url} does not exist): check chart`, 404);
    throw err;
  } finally {
    await c.close();
  }
}

/** pullOCIChart downloads a chart version's chart layer (its sha256 verified by the client). */
export async function pullOCIChart(o: OCIChartOptions, version: string): Promise<Buffer> {
  const { client: c, repository, url } = client(o);
  const work = await mkdtemp(join(tmpdir(), "fluxiac-oci-chart-"));
  try {
    const { manifest } = await c.getManifest(repository, tagOfVersion(version));
    const layer = manifest.layers.find((l) => l.mediaType === MEDIA_TYPES.helmChartContent);
    if (!layer) {
      const have = manifest.layers.map((l) => l.mediaType).join(", ") || "none";
      throw new RegistryError("ArtifactFailed", `${url}:${tagOfVersion(version)} is not a Helm chart: no layer of media type ${MEDIA_TYPES.helmChartContent} (layers: ${have})`);
    }
    if (layer.size > CHART_MAX_BYTES) throw new RegistryError("ArtifactFailed", `the chart layer of ${url}:${tagOfVersion(version)} is larger than the ${CHART_MAX_BYTES >> 20} MiB limit`);
    const file = join(work, "chart.tgz");
    await c.fetchBlob(repository, layer, file);
    return await readFile(file);
  } finally {
    await c.close();
    await rm(work, { recursive: true, force: true });
  }
}
