// The one seam through which the engine runs external binaries (kustomize, helm, sops, ssh-keygen).
import { spawn } from "node:child_process";

/** ExecResult is what a finished command printed. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** ExecOptions control one command run. */
export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Abort the command (SIGTERM) when this signal fires. */
  signal?: AbortSignal;
  /**
   * Run the command in its own process group and kill the whole group (SIGKILL) on abort, so helpers it
   * started (git's remote helpers, ssh, submodule clones) never outlive a timeout. @default false
   */
  processGroup?: boolean;
  /**
   * With processGroup: on abort, send the group SIGTERM first and SIGKILL only after this many ms, so a
   * command that handles SIGTERM (helm records the release as failed) can finish cleanly. @default 0
   * (SIGKILL at once)
   */
  graceMs?: number;
}

/** run executes a binary without a shell and collects its output; it never throws on a non-zero exit. */
export function run(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new Error(`${file} ${args[0] ?? ""} aborted before it started`));
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      signal: opts.processGroup ? undefined : opts.signal,
      detached: opts.processGroup,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    let grace: NodeJS.Timeout | undefined;
    const killGroup = () => {
      if (!opts.graceMs) return signalGroup("SIGKILL");
      signalGroup("SIGTERM");
      grace = setTimeout(() => signalGroup("SIGKILL"), opts.graceMs);
    };
    if (opts.processGroup) opts.signal?.addEventListener("abort", killGroup, { once: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => {
      opts.signal?.removeEventListener("abort", killGroup);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(grace);
      opts.signal?.removeEventListener("abort", killGroup);
      resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code: code ?? 1 });
    });
    // A command that exits without reading its input (gpgconf, git verify-*) must not fail the run with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
