// A Helm chart repository for tests: index.yaml and charts made by the real `helm package` and
// `helm repo index`, served by node:http or node:https (cert from the test PKI), with optional basic
// auth, and a second host (another port) for charts whose URLs point elsewhere (passCredentials).
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import YAML from "yaml";
import type { IssuedCert } from "./pki";
import { tool } from "./tools";

/** ChartSource describes a chart to package: Chart.yaml fields, values.yaml and any extra files. */
export interface ChartSource {
  name: string;
  version: string;
  /** values.yaml content. @default "color: blue\n" */
  values?: string;
  /** More files inside the chart (path -> content), e.g. `values-prod.yaml`. */
  files?: Record<string, string>;
}

/** chartFiles returns a minimal chart's files (path -> content) under `prefix`, for Git repositories too. */
export function chartFiles(chart: ChartSource, prefix = ""): Record<string, string> {
  const at = (p: string) => (prefix ? `${prefix.replace(/\/$/, "")}/${p}` : p);
  const files: Record<string, string> = {
    [at("Chart.yaml")]: `apiVersion: v2\nname: ${chart.name}\nversion: ${chart.version}\nappVersion: "1.0"\n`,
    [at("values.yaml")]: chart.values ?? "color: blue\n",
    [at("templates/configmap.yaml")]: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  color: {{ .Values.color | quote }}\n",
  };
  for (const [p, content] of Object.entries(chart.files ?? {})) files[at(p)] = content;
  return files;
}

/** Request is one request a server of the repository saw. */
export interface SeenRequest {
  server: "repo" | "cdn";
  path: string;
  /** Whether an Authorization header came with it (its value is never kept). */
  authorized: boolean;
}

/** HelmRepoServer is a running chart repository. */
export interface HelmRepoServer {
  /** url is the repository URL (`http(s)://127.0.0.1:<port>/charts`), without credentials. */
  url: string;
  /** cdnUrl is the second host's base URL (another port), where `addChart({cdn: true})` charts live. */
  cdnUrl: string;
  /** username and password are the basic-auth credentials both servers require when auth is on. */
  username: string;
  password: string;
  /** requests lists every request seen, oldest first. */
  requests: SeenRequest[];
  /** addChart packages a chart with `helm package` and re-indexes with `helm repo index`. */
  addChart(chart: ChartSource, opts?: { cdn?: boolean }): Promise<void>;
  /** addRawChart serves a crafted .tgz and lists it in index.yaml (helm would refuse to index it). */
  addRawChart(name: string, version: string, tgz: Buffer, opts?: { digest?: string }): Promise<void>;
  /** setIndex replaces index.yaml with raw content (until the next add). */
  setIndex(content: string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** HelmRepoOptions shape the servers. */
export interface HelmRepoOptions {
  /** Require basic auth on both servers. @default false */
  auth?: boolean;
  /** Serve HTTPS with this certificate (issue it from the test PKI). @default plain HTTP */
  tls?: IssuedCert;
  /** With tls: require a client certificate signed by this CA (PEM). @default none required */
  clientCa?: string;
  /** Parent directory for the repository's files. @default the OS temp dir */
  dir?: string;
}

function helm(args: string[], home: string, input?: string): Promise<void> {
  const env = { ...process.env, HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") };
  return new Promise((resolve, reject) => {
    const child = execFile(tool("helm"), args, { env }, (err, _out, stderr) => (err ? reject(new Error(`helm ${args[0]} ${args[1]}: ${stderr || err.message}`)) : resolve()));
    child.stdin?.end(input ?? "");
  });
}

/** OCIChartTarget is where pushChart pushes: a registry base `oci://host/path` and how to reach it. */
export interface OCIChartTarget {
  /** `oci://127.0.0.1:<port>/<path>`; the chart lands at `<path>/<chart name>`. */
  url: string;
  /** Plain HTTP. */
  insecure: boolean;
  /** CA of the registry's certificate (HTTPS). */
  caPem?: string;
  /** Credentials, given to `helm registry login` on stdin. */
  username?: string;
  password?: string;
}

/** pushChart packages a chart with `helm package` and pushes it with `helm push` (tag: version with `_` for `+`). */
export async function pushChart(chart: ChartSource, target: OCIChartTarget, parent: string): Promise<void> {
  const work = await mkdtemp(join(parent, "helm-push-"));
  try {
    const src = join(work, chart.name);
    for (const [p, content] of Object.entries(chartFiles(chart))) {
      await mkdir(dirname(join(src, p)), { recursive: true });
      await writeFile(join(src, p), content);
    }
    await helm(["package", src, "--destination", work], work);
    const tls = target.insecure ? ["--plain-http"] : target.caPem ? ["--ca-file", join(work, "ca.crt")] : [];
    if (target.caPem) await writeFile(join(work, "ca.crt"), target.caPem);
    const registryConfig = ["--registry-config", join(work, "registry.json")];
    if (target.username) {
      const host = target.url.slice("oci://".length).split("/")[0];
      await helm(["registry", "login", host, "--username", target.username, "--password-stdin", ...tls, ...registryConfig], work, target.password);
    }
    await helm(["push", join(work, `${chart.name}-${chart.version}.tgz`), target.url, ...tls, ...registryConfig], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** startHelmRepo starts the repository (and its second host) on free loopback ports. */
export async function startHelmRepo(opts: HelmRepoOptions = {}): Promise<HelmRepoServer> {
  const root = await mkdtemp(join(opts.dir ?? tmpdir(), "fluxiac-helm-repo-"));
  const dirs = { repo: join(root, "repo"), cdn: join(root, "cdn"), home: join(root, "home"), src: join(root, "src") };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
  const username = "helm";
  const password = randomBytes(12).toString("hex");
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const requests: SeenRequest[] = [];
  const raw: { name: string; version: string; file: string; digest: string }[] = [];
  let rawIndex: Buffer | undefined;

  const handler = (server: "repo" | "cdn") => async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push({ server, path, authorized: req.headers.authorization !== undefined });
    if (opts.auth && req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
      return;
    }
    const prefix = server === "repo" ? "/charts/" : "/";
    const rel = normalize(path.slice(prefix.length));
    if (!path.startsWith(prefix) || rel.startsWith("..")) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = server === "repo" && rel === "index.yaml" && rawIndex ? rawIndex : await readFile(join(dirs[server], rel));
      res.writeHead(200, { "content-type": rel.endsWith(".yaml") ? "application/yaml" : "application/gzip" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
  const make = (server: "repo" | "cdn"): Server => (opts.tls ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem, ...(opts.clientCa ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handler(server)) : createHttpServer(handler(server)));
  const servers = [make("repo"), make("cdn")];
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port));
        }),
    ),
  );
  const scheme = opts.tls ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${ports[0]}/charts`;
  const cdnUrl = `${scheme}://127.0.0.1:${ports[1]}`;

  const reindex = async () => {
    rawIndex = undefined;
    await helm(["repo", "index", dirs.cdn, "--url", cdnUrl], dirs.home);
    await helm(["repo", "index", dirs.repo, "--merge", join(dirs.cdn, "index.yaml")], dirs.home);
    if (raw.length === 0) return;
    const index = YAML.parse(await readFile(join(dirs.repo, "index.yaml"), "utf8"));
    for (const r of raw) {
      (index.entries[r.name] ??= []).unshift({ apiVersion: "v2", name: r.name, version: r.version, urls: [r.file], digest: r.digest, created: new Date().toISOString() });
    }
    await writeFile(join(dirs.repo, "index.yaml"), YAML.stringify(index));
  };

  return {
    url,
    cdnUrl,
    username,
    password,
    requests,
    async addChart(chart, addOpts = {}) {
      const src = join(dirs.src, `${chart.name}-${chart.version}-${randomBytes(3).toString("hex")}`);
      for (const [p, content] of Object.entries(chartFiles(chart))) {
        await mkdir(dirname(join(src, p)), { recursive: true });
        await writeFile(join(src, p), content);
      }
      await helm(["package", src, "--destination", addOpts.cdn ? dirs.cdn : dirs.repo], dirs.home);
      await reindex();
    },
    async addRawChart(name, version, tgz, rawOpts = {}) {
      const file = `${name}-${version}.tgz`;
      await writeFile(join(dirs.repo, file), tgz);
      raw.push({ name, version, file, digest: rawOpts.digest ?? createHash("sha256").update(tgz).digest("hex") });
      await reindex();
    },
    async setIndex(content) {
      rawIndex = Buffer.from(content);
    },
    async stop() {
      await Promise.all(servers.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
      await rm(root, { recursive: true, force: true });
    },
  };
}
