// The helm CLI, run through the engine's one exec seam: every session gets a temp dir holding Helm's
// homes, a 0600 kubeconfig and any values or spec files, removed when the session ends. Credentials
// travel in those files, never in argv.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type ExecResult } from "../exec";
import { connect, type ClusterConnection } from "../kube/client";

/** helmBinary is $FLUXIAC_HELM, else `helm` on PATH. */
export function helmBinary(): string {
  return process.env.FLUXIAC_HELM || "helm";
}

/** HelmCommandError is a helm command that exited non-zero; message is helm's last error lines. */
export class HelmCommandError extends Error {
  constructor(readonly verb: string, readonly output: string) {
    const flag = /unknown flag: (--[\w-]+)/.exec(output)?.[1];
    super(
      flag
        ? `helm ${verb} failed: this helm does not know ${flag}; install Helm 3.17 or newer (or point FLUXIAC_HELM at one)`
        : `helm ${verb} failed: ${lastLines(output)}`,
    );
  }
}

/** lastLines keeps the last few non-empty lines of helm's output, joined, without its "Error: " prefix. */
function lastLines(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !/^(WARNING|walk\.go)/.test(l));
  return lines.slice(-4).join(" ").replace(/^Error: /, "") || "no output";
}

/** HelmSession runs helm commands against one cluster, with files in its private temp dir. */
export interface HelmSession {
  /** dir is the session's temp dir (mode 0700). */
  dir: string;
  /** cluster is the connection helm uses (kubeconfig content, context, impersonated user). */
  cluster: ClusterConnection;
  /** helm runs a command and returns stdout; a non-zero exit throws HelmCommandError. */
  helm(args: string[]): Promise<string>;
  /** helmResult runs a command and returns its result, whatever its exit code. */
  helmResult(args: string[]): Promise<ExecResult>;
  /** file writes a 0600 file in the session dir and returns its path. */
  file(name: string, content: string): Promise<string>;
}

/** HelmSessionOptions say which cluster and identity helm talks to. */
export interface HelmSessionOptions {
  cluster?: ClusterConnection;
  signal?: AbortSignal;
}

/** HELM_GRACE_MS is how long a cancelled helm gets after SIGTERM to record the release as failed, as it does. */
const HELM_GRACE_MS = 5_000;

/**
 * withHelm opens a session, runs fn, and always removes the session's temp dir. The kubeconfig file is
 * the cluster connection's (content, or $KUBECONFIG / ~/.kube/config), with its context selected.
 */
export async function withHelm<T>(opts: HelmSessionOptions, fn: (s: HelmSession) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-helm-"));
  try {
    const kc = connect({ kubeconfig: opts.cluster?.kubeconfig, context: opts.cluster?.context }).config;
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HELM_CACHE_HOME: join(dir, "cache"),
      HELM_CONFIG_HOME: join(dir, "config"),
      HELM_DATA_HOME: join(dir, "data"),
      KUBECONFIG: kubeconfig,
    };
    const common = ["--kubeconfig", kubeconfig, ...(opts.cluster?.impersonate ? ["--kube-as-user", opts.cluster.impersonate] : [])];
    const helmResult = (args: string[]) =>
      run(helmBinary(), [...args, ...common], { env, cwd: dir, signal: opts.signal, processGroup: true, graceMs: HELM_GRACE_MS }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") throw new Error("helm was not found on PATH: install Helm 3, or set FLUXIAC_HELM");
        throw err;
      });
    const session: HelmSession = {
      dir,
      cluster: opts.cluster ?? {},
      helmResult,
      async helm(args) {
        const res = await helmResult(args);
        if (res.code !== 0) throw new HelmCommandError(args[0], res.stderr || res.stdout);
        return res.stdout;
      },
      async file(name, content) {
        const path = join(dir, name);
        await writeFile(path, content, { mode: 0o600 });
        return path;
      },
    };
    return await fn(session);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
