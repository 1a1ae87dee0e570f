// Packaging a chart directory with the real `helm package` (through the exec seam): valuesFiles replace
// values.yaml, build metadata is set on the version, file:// dependencies are built, and the result is
// read back through the chart archive checks and normalised.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import YAML from "yaml";
import { safeEntryPath } from "../../artifact/archive";
import { run } from "../../exec";
import { normalizeChartArchive, readChartArchive, type ChartArchive } from "./chart-archive";
import { mergeValuesFiles } from "./chart-values";

/** ChartBuildError says why a chart could not be packaged. */
export class ChartBuildError extends Error {}

/** PackageOptions shape one `helm package`. */
export interface PackageOptions {
  /** Values files merged in order into the packaged values.yaml. @default none: values.yaml is kept */
  valuesFiles?: string[];
  /** Skip missing values files instead of failing. @default false */
  ignoreMissingValuesFiles?: boolean;
  /**
   * Build metadata set on the chart version (`1.2.3+<metadata>`), or "values" for the first 12 hex of
   * the sha256 of the merged values. @default none: the version is kept
   */
  versionMetadata?: string;
  /** Directory the chart must not leave (file:// dependencies included). @default the chart directory */
  root?: string;
  signal?: AbortSignal;
}

/** PackagedChart is a normalised chart archive and its Chart.yaml facts. */
export interface PackagedChart {
  data: Buffer;
  archive: ChartArchive;
}

/** withMetadata sets semver build metadata, replacing any the version had (Masterminds SetMetadata). */
export function withMetadata(version: string, metadata: string): string {
  return `${version.replace(/\+.*$/, "")}+${metadata}`;
}

interface ChartYaml {
  name?: string;
  version?: string;
  dependencies?: { name?: string; repository?: string }[];
}

/** readChartYaml reads a chart directory's Chart.yaml. */
export async function readChartYaml(chartDir: string): Promise<ChartYaml> {
  let text: string;
  try {
    text = await readFile(join(chartDir, "Chart.yaml"), "utf8");
  } catch {
    throw new ChartBuildError("the directory has no Chart.yaml");
  }
  const meta = (YAML.parse(text) ?? {}) as ChartYaml;
  if (!meta.name || !meta.version) throw new ChartBuildError("Chart.yaml has no name or version");
  return { ...meta, version: String(meta.version) };
}

/** writeChartArchive writes a checked archive's entries under root and returns the chart directory. */
export async function writeChartArchive(archive: ChartArchive, root: string): Promise<string> {
  let top = "";
  for (const e of archive.entries) {
    const target = safeEntryPath(root, e.name, e.type);
    if (e.type === "directory") await mkdir(target, { recursive: true });
    else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, e.data!, { mode: e.mode & 0o755 });
    }
    if (/^(\.\/)?[^/]+\/Chart\.yaml$/.test(e.name)) top = e.name.replace(/^\.\//, "").split("/")[0];
  }
  return join(root, top);
}

async function helm(args: string[], cwd: string, home: string, signal?: AbortSignal): Promise<string> {
  const env = { ...process.env, HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") };
  const res = await run("helm", args, { cwd, env, signal }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new ChartBuildError("helm was not found on PATH: install Helm 3 or later");
    throw err;
  });
  if (res.code !== 0) throw new ChartBuildError(`helm ${args[0]} failed: ${(res.stderr || res.stdout).trim().split("\n").slice(-3).join(" ")}`);
  return res.stdout;
}

/** buildDependencies runs `helm dependency build` when file:// dependencies are missing from charts/. */
async function buildDependencies(chartDir: string, meta: ChartYaml, root: string, home: string, signal?: AbortSignal): Promise<void> {
  const deps = meta.dependencies ?? [];
  if (deps.length === 0) return;
  const vendored = await readdir(join(chartDir, "charts")).catch(() => [] as string[]);
  const missing = deps.filter((d) => !vendored.some((f) => f === d.name || f.startsWith(`${d.name}-`)));
  if (missing.length === 0) return;
  for (const d of missing) {
    const repo = d.repository ?? "";
    if (!repo.startsWith("file://")) {
      throw new ChartBuildError(
        `dependency "${d.name}" from "${repo || "(no repository)"}" is not in charts/ and only file:// dependencies are built; vendor it into charts/ (helm dependency build) and commit it`,
      );
    }
    const path = resolve(chartDir, repo.slice("file://".length));
    if (path !== resolve(root) && !path.startsWith(resolve(root) + sep)) throw new ChartBuildError(`dependency "${d.name}" at "${repo}" is outside the source artifact`);
  }
  await helm(["dependency", "build", chartDir], chartDir, home, signal);
}

/**
 * packageChart packages a chart directory with `helm package` after applying valuesFiles and the
 * version metadata, and returns the normalised archive. The directory is modified in place: it must be
 * a temp copy.
 */
export async function packageChart(chartDir: string, opts: PackageOptions = {}): Promise<PackagedChart> {
  const meta = await readChartYaml(chartDir);
  let metadata = opts.versionMetadata;
  if (opts.valuesFiles?.length) {
    const { values } = await mergeValuesFiles(chartDir, opts.valuesFiles, opts.ignoreMissingValuesFiles ?? false);
    const text = Object.keys(values).length ? YAML.stringify(values) : "";
    await writeFile(join(chartDir, "values.yaml"), text);
    if (metadata === "values") metadata = createHash("sha256").update(text).digest("hex").slice(0, 12);
  }
  const home = await mkdtemp(join(tmpdir(), "fluxiac-helm-"));
  try {
    await buildDependencies(chartDir, meta, opts.root ?? chartDir, home, opts.signal);
    const out = join(home, "out");
    const args = ["package", chartDir, "--destination", out];
    if (metadata && metadata !== "values") args.push("--version", withMetadata(meta.version!, metadata));
    await helm(args, chartDir, home, opts.signal);
    const [file] = await readdir(out);
    const archive = await readChartArchive(await readFile(join(out, file)));
    return { data: await normalizeChartArchive(archive), archive };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
