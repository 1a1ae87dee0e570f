// GitRepository engine verbs: plan (resolve + fetch only when something changed) and apply.
import { FluxiacError } from "../errors";
import { commitOfRevision, fetchGitArtifact, resolveGitRef, type GitTarget } from "../source/git";
import type { Artifact, GitRepositorySpec } from "../source/git-types";
import type { ReconcileContext } from "./context";

/** GitRepositoryStatus is what a previous reconcile observed. */
export interface GitRepositoryStatus {
  artifact?: Artifact;
  /** The spec fields that shaped that artifact; a change forces a new fetch. */
  observedUrl?: string;
  observedIgnore?: string;
}

/** GitRepositoryResult is a reconciled GitRepository. */
export interface GitRepositoryResult {
  artifact: Artifact;
  /** false when the previous artifact was reused without cloning. */
  fetched: boolean;
}

const kind = "GitRepository";

/** validateGitRepository returns the problems of a spec, each naming its field. */
export function validateGitRepository(spec: GitRepositorySpec): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  if (!spec.url) problems.push({ property: "url", reason: "url is required (https://, ssh:// or file://)" });
  else if (!/^(https?|ssh|file):\/\//.test(spec.url) && !/^[^/:@]+@[^/:]+:/.test(spec.url)) {
    problems.push({ property: "url", reason: `url "${spec.url}" must start with https://, http://, ssh:// or file://` });
  }
  const ref = spec.ref ?? {};
  if (ref.commit !== undefined && !/^[0-9a-f]{40}$/.test(ref.commit)) problems.push({ property: "ref.commit", reason: "ref.commit must be a full 40-character SHA-1" });
  if (spec.auth?.bearerToken && (spec.auth.username || spec.auth.password)) {
    problems.push({ property: "auth", reason: "auth takes either bearerToken or username/password, not both" });
  }
  return problems;
}

/**
 * planGitRepository resolves the ref with one ls-remote. When the revision and the settings equal the
 * previous reconcile and the store still holds the artifact, it reuses it; otherwise it fetches exactly
 * that commit and packs a new artifact. Read-only towards the remote.
 */
export async function planGitRepository(name: string, spec: GitRepositorySpec, previous: GitRepositoryStatus | undefined, ctx: ReconcileContext): Promise<GitRepositoryResult> {
  const object = { kind, name };
  const problems = validateGitRepository(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  const gctx = { object, log: ctx.log, signal: ctx.signal };
  const target = await resolveGitRef(spec, gctx);
  const prev = previous?.artifact;
  if (
    prev &&
    prev.revision === target.revision &&
    previous.observedUrl === spec.url &&
    (previous.observedIgnore ?? "") === (spec.ignore ?? "") &&
    (await ctx.store.has(prev.digest))
  ) {
    ctx.log.debug(`${kind} "${name}": ${target.revision} unchanged, no fetch`);
    return { artifact: prev, fetched: false };
  }
  return { artifact: await fetchGitArtifact(spec, target, ctx.store, gctx), fetched: true };
}

/** targetOfRevision rebuilds the fetch target of a revision this spec produced earlier. */
export function targetOfRevision(spec: GitRepositorySpec, revision: string): GitTarget | undefined {
  const commit = commitOfRevision(revision);
  if (!commit) return undefined;
  const at = revision.lastIndexOf("@sha1:");
  const refName = at > 0 ? revision.slice(0, at) : undefined;
  const ref = spec.ref ?? {};
  let fetchRef: string | undefined;
  if (refName) fetchRef = ref.name ? refName : ref.tag || ref.semver ? `refs/tags/${refName}` : `refs/heads/${refName}`;
  return { commit, fetchRef, revision };
}

/**
 * ensureGitArtifact makes sure the store holds exactly this artifact. If it does not (another machine,
 * a cleaned cache), it fetches that exact revision again and verifies the digest: a mismatch is an
 * error, never a silent re-resolve.
 */
export async function ensureGitArtifact(name: string, spec: GitRepositorySpec, artifact: Artifact, ctx: ReconcileContext): Promise<string> {
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  const object = { kind, name };
  const target = targetOfRevision(spec, artifact.revision);
  if (!target) throw new FluxiacError(object, "ArtifactFailed", `revision "${artifact.revision}" is not a Git revision`);
  ctx.log.info(`${kind} "${name}": artifact ${artifact.digest.slice(0, 19)}… not in the local store; fetching ${artifact.revision} again`);
  const fresh = await fetchGitArtifact(spec, target, ctx.store, { object, log: ctx.log, signal: ctx.signal });
  if (fresh.digest !== artifact.digest) {
    throw new FluxiacError(
      object,
      "ArtifactFailed",
      `digest mismatch for revision ${artifact.revision}: state has ${artifact.digest}, the fetched content is ${fresh.digest}; ` +
        `the source changed under the same revision or its ignore rules differ. Run \`pulumi up\` (or refresh) to record the new artifact`,
    );
  }
  return ctx.store.path(artifact.digest);
}
