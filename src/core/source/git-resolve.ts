// GitRepository resolve: the commit a ref points at now, with one ls-remote and Flux's precedence.
import { tmpdir } from "node:os";
import semver from "semver";
import { FluxiacError, errorMessage } from "../errors";
import { git, withGit, type GitContext } from "./git-run";
import type { GitRepositorySpec } from "./git-types";
import { parseConstraint, parseVersion, type Constraint } from "./semver";

const SHA1 = /^[0-9a-f]{40}$/;

/** GitTarget is a resolved ref: the commit to fetch, how to fetch it, and Flux's revision string. */
export interface GitTarget {
  commit: string;
  /** The ref to fetch (refs/heads/main, refs/tags/v1, refs/pull/1/head), or undefined for a bare commit. */
  fetchRef?: string;
  revision: string;
}

/** tagOfTarget is the tag name a target was resolved from (ref.tag or ref.semver), if any. */
export function tagOfTarget(target: GitTarget): string | undefined {
  return target.fetchRef?.startsWith("refs/tags/") ? target.fetchRef.slice("refs/tags/".length) : undefined;
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

/** commitOfRevision extracts the commit SHA from a Flux Git revision (`main@sha1:<sha>` or `sha1:<sha>`). */
export function commitOfRevision(revision: string): string | undefined {
  return /(?:^|@)sha1:([0-9a-f]{40})$/.exec(revision)?.[1];
}

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
      // An annotated tag's name gives the tag object; its peeled line (^{}) gives the commit.
      const refs = parseLsRemote(await g("ls-remote", spec.url, ref.name, `${ref.name}^{}`));
      const sha = refs.get(ref.name) ?? [...refs.values()][0];
      if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `ref.name "${ref.name}" was not found in ${spec.url}`);
      return { commit: sha, fetchRef: ref.name, revision: `${ref.name}@sha1:${sha}` };
    }
    if (ref.tag) {
      const refs = parseLsRemote(await g("ls-remote", spec.url, `refs/tags/${ref.tag}`, `refs/tags/${ref.tag}^{}`));
      const sha = refs.get(`refs/tags/${ref.tag}`);
      if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `tag "${ref.tag}" was not found in ${spec.url}`);
      return { commit: sha, fetchRef: `refs/tags/${ref.tag}`, revision: `${ref.tag}@sha1:${sha}` };
    }
    if (ref.semver) {
      // Masterminds semantics, as Flux: `v` prefixes, partial versions, `,` as AND, prereleases only when asked for.
      let constraint: Constraint;
      try {
        constraint = parseConstraint(ref.semver);
      } catch (err) {
        throw new FluxiacError(ctx.object, "ValidationFailed", `ref.semver "${ref.semver}" is not a semver constraint (${errorMessage(err)})`);
      }
      const refs = parseLsRemote(await g("ls-remote", "--tags", spec.url));
      let best: { tag: string; v: semver.SemVer } | undefined;
      for (const name of refs.keys()) {
        const tag = name.replace(/^refs\/tags\//, "");
        const v = parseVersion(tag);
        if (v && constraint.test(v) && (!best || semver.gt(v, best.v))) best = { tag, v };
      }
      if (!best) throw new FluxiacError(ctx.object, "RefNotFound", `no tag in ${spec.url} matches ref.semver "${ref.semver}"`);
      const sha = refs.get(`refs/tags/${best.tag}`)!;
      return { commit: sha, fetchRef: `refs/tags/${best.tag}`, revision: `${best.tag}@sha1:${sha}` };
    }
    const branch = ref.branch ?? "master";
    const refs = parseLsRemote(await g("ls-remote", spec.url, `refs/heads/${branch}`));
    const sha = refs.get(`refs/heads/${branch}`);
    if (!sha) throw new FluxiacError(ctx.object, "RefNotFound", `branch "${branch}" was not found in ${spec.url}: check ref.branch`);
    return { commit: sha, fetchRef: `refs/heads/${branch}`, revision: `${branch}@sha1:${sha}` };
  });
}
