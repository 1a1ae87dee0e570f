// How every GitRepository verb runs git: one environment with credentials and TLS, one timeout, and
// git's stderr turned into an error that names the object and the fix.
import { parseDuration } from "../duration";
import { FluxiacError, errorMessage, type ObjectRef, type Reason } from "../errors";
import { run } from "../exec";
import type { Logger } from "../log";
import { gitEnv, maskSecrets, type GitEnv } from "./git-auth";
import type { GitRepositorySpec } from "./git-types";

/** GitContext is what git operations need from the caller. */
export interface GitContext {
  object: ObjectRef;
  log: Logger;
  signal?: AbortSignal;
}

/** Git runs one git command (`g("fetch", "origin", sha)`) and resolves with its stdout. */
export type Git = (...args: string[]) => Promise<string>;

/**
 * git returns a runner for commands in dir whose environment is exactly env (nothing inherited). Each
 * command runs in its own process group, and the signal kills the whole group: git's helpers
 * (git-remote-https, ssh, submodule clones) never outlive a timeout. A non-zero exit rejects with stderr.
 */
export function git(dir: string, env: GitEnv, signal: AbortSignal): Git {
  return async (...args) => {
    const r = await run("git", args, { cwd: dir, env: env.env, signal, processGroup: true });
    if (r.code === 0) return r.stdout;
    throw new Error(r.stderr.trim() || `git ${args[0]} exited ${r.code}`);
  };
}

/** classifyGitError turns git's stderr into a reason and an actionable message. */
export function classifyGitError(url: string, stderr: string): { reason: Reason; message: string } {
  const s = stderr;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9-]+ host key is known/i.test(s)) {
    return { reason: "AuthenticationFailed", message: `the SSH host key of ${url} is not trusted: add the server's key to auth.knownHosts (ssh-keyscan prints it)` };
  }
  const transport = /transport '([a-z0-9+-]+)' not allowed/i.exec(s)?.[1];
  if (transport) {
    return { reason: "GitOperationFailed", message: `a submodule of ${url} uses the ${transport} transport, which git refuses for submodules: point .gitmodules at an https:// or ssh:// URL` };
  }
  if (/SSL certificate problem|server certificate verification failed|certificate verify failed|self[- ]signed certificate|unable to get local issuer/i.test(s)) {
    return { reason: "AuthenticationFailed", message: `the TLS certificate of ${url} is not trusted: set tls.caCert to the CA bundle that signed it (${firstLine(s)})` };
  }
  if (/could not load PEM client certificate|unable to set private key file|unable to use client certificate|alert certificate required|alert bad certificate/i.test(s)) {
    return { reason: "AuthenticationFailed", message: `the TLS client certificate for ${url} was refused: check tls.cert and tls.key (${firstLine(s)})` };
  }
  if (/Authentication failed|401|403|could not read Username|Permission denied|invalid credentials|access denied/i.test(s)) {
    return { reason: "AuthenticationFailed", message: `authentication to ${url} failed: check the credentials in auth` };
  }
  if (/Could not resolve host|Connection refused|Connection timed out|Network is unreachable|timed out|Failed to connect|abort/i.test(s)) {
    return { reason: "GitOperationFailed", message: `${url} is unreachable: ${firstLine(s)}` };
  }
  if (/does not appear to be a git repository|repository .* not found|not found/i.test(s)) {
    return { reason: "GitOperationFailed", message: `${url} is not a Git repository the server knows: ${firstLine(s)}` };
  }
  return { reason: "GitOperationFailed", message: `git failed for ${url}: ${firstLine(s)}` };
}

/** firstLine is the first `fatal:` (else `error:`, else any) line of git's output, without its prefix. */
export function firstLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim());
  const line = lines.find((l) => l.startsWith("fatal: ")) ?? lines.find((l) => l.startsWith("error: ")) ?? lines.find((l) => l);
  return (line?.replace(/^(fatal|error): /, "") ?? "unknown error").slice(0, 300);
}

/**
 * withGit runs fn with the spec's credentials and TLS in the environment and the spec's timeout as an
 * abort signal. FluxiacErrors pass through; anything else is classified, with every secret masked.
 */
export async function withGit<T>(spec: GitRepositorySpec, ctx: GitContext, fn: (env: GitEnv, signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = spec.timeout ?? "60s";
  const timeoutMs = parseDuration(timeout, "timeout");
  const env = await gitEnv(spec.url, spec.auth, { tls: spec.tls, stallSeconds: Math.ceil(timeoutMs / 1000) + 1 });
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline;
  try {
    return await fn(env, signal);
  } catch (err) {
    if (err instanceof FluxiacError) throw err;
    const text = maskSecrets(errorMessage(err), env.secrets);
    if (ctx.signal?.aborted) throw new FluxiacError(ctx.object, "Cancelled", `git was cancelled (the run was interrupted) talking to ${spec.url}`);
    if (signal.aborted) throw new FluxiacError(ctx.object, "GitOperationFailed", `git timed out after ${timeout} talking to ${spec.url}: raise timeout or check the URL`);
    const { reason, message } = classifyGitError(spec.url, text);
    throw new FluxiacError(ctx.object, reason, maskSecrets(message, env.secrets));
  } finally {
    await env.cleanup();
  }
}
