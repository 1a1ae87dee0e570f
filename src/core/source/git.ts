// GitRepository: resolve a ref with one ls-remote, fetch exactly one commit, pack it as an artifact.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import semver from "semver";
import { simpleGit, type SimpleGit } from "simple-git";
import { parseDuration } from "../duration";
import { FluxiacError, errorMessage, type ObjectRef, type Reason } from "../errors";
import type { Logger } from "../log";
import type { ArtifactStore } from "../artifact/store";
import { gitEnv, maskSecrets, type GitEnv } from "./git-auth";
import type { Artifact, GitRepositorySpec } from "./git-types";
import { toSemverRange } from "./semver";

const SHA1 = /^[0-9a-f]{40}$/;

/** GitTarget is a resolved ref: the commit to fetch, how to fetch it, and Flux's revision string. */
export interface GitTarget {
  commit: string;
  /** The ref to fetch (refs/heads/main, refs/tags/v1, refs/pull/1/head), or undefined for a bare commit. */
  fetchRef?: string;
  revision: string;
}

/** GitContext is what git operations need from the caller. */
export interface GitContext {
  object: ObjectRef;
  log: Logger;
  signal?: AbortSignal;
}

function git(dir: string, env: GitEnv, signal: AbortSignal): SimpleGit {
  return simpleGit({
    baseDir: dir,
    abort: signal,
    allowEnvironment: Object.keys(env.env),
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true },
  }).env(env.env);
}

/** classify turns git's stderr into a reason and an actionable message. */
export function classifyGitError(url: string, stderr: string): { reason: Reason; message: string } {
  const s = stderr;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9-]+ host key is known/i.test(s)) {
    return { reason: "AuthenticationFailed", message: `the SSH host key of ${url} is not trusted: add the server's key to auth.knownHosts (ssh-keyscan prints it)` };
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

function firstLine(s: string): string {
  return (s.split("\n").map((l) => l.replace(/^(fatal|error): /, "").trim()).find((l) => l) ?? "unknown error").slice(0, 300);
}

async function withGit<T>(spec: GitRepositorySpec, ctx: GitContext, fn: (env: GitEnv, signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeoutMs = parseDuration(spec.timeout ?? "60s", "timeout");
  const env = await gitEnv(spec.url, spec.auth);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  try {
    return await fn(env, signal);
  } catch (err) {
    if (err instanceof FluxiacError) throw err;
    const text = maskSecrets(errorMessage(err), env.secrets);
    if (signal.aborted) throw new FluxiacError(ctx.object, "GitOperationFailed", `git timed out after ${spec.timeout ?? "60s"} talking to ${spec.url}: raise timeout or check the URL`);
    const { reason, message } = classifyGitError(spec.url, text);
    throw new FluxiacError(ctx.object, reason, message);
  } finally {
    await env.cleanup();
  }
}

/** parseLsRemote maps ref names to commits, preferring peeled (^{}) commits for annotated tags. */
export function parseLsRemote(out: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (!sha || !ref || !SHA1.test(sha)) continue;
    if (ref.endsWith("^{}")) refs.set(ref.slice(0, -3), sha);
    else if (!refs.has(ref)) refs.set(ref, sha);
  }
  return refs;
}

export { toSemverRange } from "./semver";

/** resolveGitRef finds the commit a ref points at now, with one ls-remote, following Flux's precedence. */
export async function resolveGitRef(spec: GitRepositorySpec, ctx: GitContext): Promise<GitTarget> {
  const ref = spec.ref ?? {};
  if (ref.commit) {
    if (!SHA1.test(ref.commit)) throw new FluxiacError(ctx.object, "ValidationFailed", `ref.commit "${ref.commit}" is not a full 40-character commit SHA`);
    return {
      commit: ref.commit,
      fetchRef: ref.branch ? `refs/heads/${ref.branch}` : undefined,
      revision: ref.branch ? `${ref.branch}@sha1:${ref.commit}` : `sha1:${ref.commit}`,
    };
  }
  return withGit(spec, ctx, async (env, signal) => {
    const g = git(tmpdir(), env, signal);
    if (ref.name) {
      const refs = parseLsRemote(await g.listRemote([spec.url, ref.name]));
      const sha = refs.get(ref.name) ?? [...refs.values()][0];
      if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `ref.name "${ref.name}" was not found in ${spec.url}`);
      return { commit: sha, fetchRef: ref.name, revision: `${ref.name}@sha1:${sha}` };
    }
    if (ref.tag) {
      const refs = parseLsRemote(await g.listRemote([spec.url, `refs/tags/${ref.tag}`, `refs/tags/${ref.tag}^{}`]));
      const sha = refs.get(`refs/tags/${ref.tag}`);
      if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `tag "${ref.tag}" was not found in ${spec.url}`);
      return { commit: sha, fetchRef: `refs/tags/${ref.tag}`, revision: `${ref.tag}@sha1:${sha}` };
    }
    if (ref.semver) {
      const range = new semver.Range(toSemverRange(ref.semver), { loose: true });
      const refs = parseLsRemote(await g.listRemote(["--tags", spec.url]));
      let best: { tag: string; v: semver.SemVer } | undefined;
      for (const name of refs.keys()) {
        const tag = name.replace(/^refs\/tags\//, "");
        const v = semver.parse(tag, { loose: true });
        if (v && range.test(v) && (!best || semver.gt(v, best.v))) best = { tag, v };
      }
      if (!best) throw new FluxiacError(ctx.object, "RefNotFound", `no tag in ${spec.url} matches ref.semver "${ref.semver}"`);
      const sha = refs.get(`refs/tags/${best.tag}`)!;
      return { commit: sha, fetchRef: `refs/tags/${best.tag}`, revision: `${best.tag}@sha1:${sha}` };
    }
    const branch = ref.branch ?? "master";
    const refs = parseLsRemote(await g.listRemote([spec.url, `refs/heads/${branch}`]));
    const sha = refs.get(`refs/heads/${branch}`);
    if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `branch "${branch}" was not found in ${spec.url}: check ref.branch`);
    return { commit: sha, fetchRef: `refs/heads/${branch}`, revision: `${branch}@sha1:${sha}` };
  });
}

/** checkoutGitTarget fetches exactly the target commit into a new temp dir (shallow when possible) and returns it. */
export async function checkoutGitTarget(spec: GitRepositorySpec, target: GitTarget, ctx: GitContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-git-"));
  try {
    await withGit(spec, ctx, async (env, signal) => {
      const g = git(dir, env, signal);
      await g.init();
      await g.addRemote("origin", spec.url);
      try {
        // Protocol v2 servers hand out any reachable commit, so the exact commit is one shallow fetch.
        await g.fetch(["--depth=1", "--no-tags", "origin", target.commit]);
      } catch (err) {
        // Servers that refuse unadvertised commits: fetch the ref (or every branch and tag) instead.
        ctx.log.debug(`fetch by commit refused (${firstLine(errorMessage(err))}); fetching ${target.fetchRef ?? "all branches and tags"}`);
        const refspecs = target.fetchRef ? [`+${target.fetchRef}:refs/fluxiac/target`] : ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
        await g.fetch(["--no-tags", "origin", ...refspecs]);
      }
      await g.checkout(["--detach", "--force", target.commit]).catch((err) => {
        throw new FluxiacError(ctx.object, "RefNotFound", `commit ${target.commit} was not found in ${spec.url}: ${firstLine(errorMessage(err))}`);
      });
    });
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** fetchGitArtifact checks out the target and packs it into the store, returning the artifact. */
export async function fetchGitArtifact(spec: GitRepositorySpec, target: GitTarget, store: ArtifactStore, ctx: GitContext): Promise<Artifact> {
  const started = Date.now();
  const dir = await checkoutGitTarget(spec, target, ctx);
  try {
    const { digest, size } = await store.packDir(dir, { ignore: spec.ignore });
    ctx.log.info(`${ctx.object.kind} "${ctx.object.name}": stored artifact for revision ${target.revision} (${size} bytes, ${Date.now() - started} ms)`);
    return { revision: target.revision, digest, size };
  } catch (err) {
    throw new FluxiacError(ctx.object, "ArtifactFailed", `packing revision ${target.revision} failed: ${errorMessage(err)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** commitOfRevision extracts the commit SHA from a Flux Git revision (`main@sha1:<sha>` or `sha1:<sha>`). */
export function commitOfRevision(revision: string): string | undefined {
  return /(?:^|@)sha1:([0-9a-f]{40})$/.exec(revision)?.[1];
}
