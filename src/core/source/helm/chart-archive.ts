// Chart archives (.tgz): every chart, downloaded or packaged, is read here before use. Entries with `..`,
// absolute paths or links are rejected; packaged charts are rewritten with normalised headers so that
// the same chart always has the same digest.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import YAML from "yaml";
import { safeEntryPath, UnsafeArchiveError } from "../../artifact/archive";

/** CHART_MAX_BYTES is Flux's --helm-chart-max-size default: 10 MiB. */
export const CHART_MAX_BYTES = 10 << 20;

/** ChartEntry is one file or directory of a chart archive. */
interface ChartEntry {
  name: string;
  type: "file" | "directory";
  mode: number;
  data?: Buffer;
}

/** ChartArchive is a checked chart archive: its Chart.yaml name and version and its entries. */
export interface ChartArchive {
  name: string;
  version: string;
  entries: ChartEntry[];
}

/** ChartArchiveError reports an archive that is not a usable chart. */
export class ChartArchiveError extends Error {}

/**
 * readChartArchive reads a chart .tgz in memory (charts are at most 10 MiB), rejecting entries that
 * escape the chart (`..`, absolute paths, links), and reads `<chart>/Chart.yaml`.
 */
export async function readChartArchive(data: Buffer): Promise<ChartArchive> {
  const entries: ChartEntry[] = [];
  let expanded = 0;
  const ex = tar.extract();
  ex.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => {
      if (!Buffer.isBuffer(c)) return;
      expanded += c.length;
      if (expanded > 4 * CHART_MAX_BYTES) ex.destroy(new ChartArchiveError(`chart archive expands beyond ${(4 * CHART_MAX_BYTES) >> 20} MiB`));
      chunks.push(c);
    });
    stream.on("error", () => {}); // the extractor reports the failure
    stream.on("end", () => {
      try {
        safeEntryPath("/chart", h.name, h.type);
      } catch (err) {
        return ex.destroy(err as Error);
      }
      if (h.type === "file" || h.type === "contiguous-file") entries.push({ name: h.name, type: "file", mode: h.mode ?? 0o644, data: Buffer.concat(chunks) });
      else if (h.type === "directory") entries.push({ name: h.name, type: "directory", mode: h.mode ?? 0o755 });
      next();
    });
  });
  try {
    await pipeline(Readable.from([data]), createGunzip(), ex);
  } catch (err) {
    if (err instanceof UnsafeArchiveError || err instanceof ChartArchiveError) throw err;
    throw new ChartArchiveError(`not a chart archive (tar.gz): ${(err as Error).message}`);
  }
  const chartYaml = entries.find((e) => e.type === "file" && /^[^/]+\/Chart\.yaml$/.test(e.name.replace(/^\.\//, "")));
  if (!chartYaml?.data) throw new ChartArchiveError("the archive has no <chart>/Chart.yaml");
  const meta = YAML.parse(chartYaml.data.toString("utf8")) as { name?: unknown; version?: unknown } | null;
  if (!meta?.name || !meta.version) throw new ChartArchiveError("Chart.yaml has no name or version");
  return { name: String(meta.name), version: String(meta.version), entries };
}

/**
 * normalizeChartArchive writes the archive again with sorted entries, zeroed times and owners and modes
 * 0644/0755, so that packaging the same chart twice gives the same bytes (helm package stamps the time).
 */
export async function normalizeChartArchive(archive: ChartArchive): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const header = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  const sorted = [...archive.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    if (e.type === "directory") pack.entry({ ...header, name: e.name, type: "directory", mode: 0o755 });
    else pack.entry({ ...header, name: e.name, type: "file", mode: e.mode & 0o111 ? 0o755 : 0o644 }, e.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 6 });
}
