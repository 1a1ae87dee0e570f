// GitRepository engine verbs: plan (resolve + fetch only when something changed) and apply.
import { isDeepStrictEqual } from "node:util";
import { FluxiacError, digestMismatch } from "../errors";
import { fetchGitArtifact } from "../source/git";
import { includePathProblem, toPathOf, type IncludedTree } from "../source/git-include";
import { commitOfRevision, resolveGitRef, type GitTarget } from "../source/git-resolve";
import type { Artifact, GitRepositorySpec, GitVerification, GitVerificationMode } from "../source/git-types";
import { parseVerificationKeys, verifyModeProblem } from "../source/git-verify";
import type { ReconcileContext } from "./context";

/** ObservedInclude is one include[] entry as a reconcile saw it (Flux's status.observedInclude). */
export interface ObservedInclude {
  repository: string;
  fromPath?: string;
  toPath: string;
}

/** GitRepositoryStatus is what a previous reconcile observed. */
export interface GitRepositoryStatus {
  artifact?: Artifact;
  /** The spec fields that shaped that artifact; a change forces a new fetch. */
  observedUrl?: string;
  observedIgnore?: string;
  observedRecurseSubmodules?: boolean;
  observedInclude?: ObservedInclude[];
  /** The artifacts of include[], in order (Flux's status.includedArtifacts). */
  includedArtifacts?: Artifact[];
  observedVerify?: GitVerification;
  /** The verify.mode the artifact passed (Flux's status.sourceVerificationMode). */
  sourceVerificationMode?: GitVerificationMode;
}

/** GitRepositoryResult is a reconciled GitRepository. */
export interface GitRepositoryResult {
  artifact: Artifact;
  /** false when the previous artifact was reused without cloning. */
  fetched: boolean;
  /** The artifacts of include[], in order. */
  includedArtifacts: Artifact[];
  sourceVerificationMode?: GitVerificationMode;
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
  if (spec.tls && spec.url && !spec.url.startsWith("https://")) problems.push({ property: "tls", reason: "tls applies to https:// URLs only" });
  if (spec.tls && Boolean(spec.tls.cert) !== Boolean(spec.tls.key)) problems.push({ property: "tls", reason: "tls.cert and tls.key go together" });
  (spec.include ?? []).forEach((inc, i) => {
    const problem = includePathProblem(inc.fromPath, `include[${i}].fromPath`) ?? includePathProblem(toPathOf(inc), `include[${i}].toPath`);
    if (problem) problems.push({ property: "include", reason: problem });
  });
  if (spec.verify) {
    const hasTagRef = !ref.commit && (ref.name ? ref.name.startsWith("refs/tags/") : Boolean(ref.tag || ref.semver));
    const problem = verifyModeProblem(spec.verify, hasTagRef) ?? parseVerificationKeys(spec.verify.publicKeys ?? []).problems[0];
    if (problem) problems.push({ property: "verify", reason: problem });
  }
  return problems;
}

/** observedInclude is include[] as status records it. */
function observedInclude(spec: GitRepositorySpec): ObservedInclude[] {
  return (spec.include ?? []).map((inc) => ({ repository: inc.repository.name, fromPath: inc.fromPath || undefined, toPath: toPathOf(inc) }));
}

/** gitRepositoryStatus is the status a reconcile of spec that produced result leaves behind. */
export function gitRepositoryStatus(spec: GitRepositorySpec, result: Omit<GitRepositoryResult, "fetched">): GitRepositoryStatus {
  return {
    artifact: result.artifact,
    observedUrl: spec.url,
    observedIgnore: spec.ignore,
    observedRecurseSubmodules: spec.recurseSubmodules ?? false,
    observedInclude: observedInclude(spec),
    includedArtifacts: result.includedArtifacts,
    observedVerify: spec.verify,
    sourceVerificationMode: result.sourceVerificationMode,
  };
}

/** settingsUnchanged reports whether the fields that shape the artifact (besides the revision) match the status. */
function settingsUnchanged(spec: GitRepositorySpec, previous: GitRepositoryStatus): boolean {
  const digests = (artifacts: Artifact[] | undefined) => (artifacts ?? []).map((a) => a.digest);
  return (
    previous.observedUrl === spec.url &&
    (previous.observedIgnore ?? "") === (spec.ignore ?? "") &&
    (previous.observedRecurseSubmodules ?? false) === (spec.recurseSubmodules ?? false) &&
    isDeepStrictEqual(previous.observedInclude ?? [], observedInclude(spec)) &&
    isDeepStrictEqual(digests(previous.includedArtifacts), digests((spec.include ?? []).map((i) => i.repository.artifact))) &&
    isDeepStrictEqual(previous.observedVerify ?? null, spec.verify ?? null)
  );
}

/**
 * planGitRepository resolves the ref with one ls-remote. When the revision and the settings (url,
 * ignore, recurseSubmodules, include and the included artifacts, verify) equal the previous reconcile
 * and the store still holds the artifact, it reuses it; otherwise it fetches exactly that commit,
 * verifies it, copies the includes and packs a new artifact. Read-only towards the remote.
 */
export async function planGitRepository(name: string, spec: GitRepositorySpec, previous: GitRepositoryStatus | undefined, ctx: ReconcileContext): Promise<GitRepositoryResult> {
  const object = { kind, name };
  const problems = validateGitRepository(spec);
  if (problems.length) throw new FluxiacError(object, "ValidationFailed", problems.map((p) => p.reason).join("; "));
  const gctx = { object, log: ctx.log, signal: ctx.signal };
  const target = await resolveGitRef(spec, gctx);
  const includedArtifacts = (spec.include ?? []).map((i) => i.repository.artifact);
  const prev = previous?.artifact;
  if (prev && prev.revision === target.revision && settingsUnchanged(spec, previous) && (await ctx.store.has(prev.digest))) {
    ctx.log.debug(`${kind} "${name}": ${target.revision} unchanged, no fetch`);
    return { artifact: prev, fetched: false, includedArtifacts, sourceVerificationMode: previous.sourceVerificationMode };
  }
  const fetched = await fetchGitArtifact(spec, target, ctx.store, gctx, { includes: await includedTrees(name, spec, ctx) });
  return { ...fetched, fetched: true, includedArtifacts };
}

/** includedTrees makes sure the store holds every included artifact and returns where each one is. */
async function includedTrees(name: string, spec: GitRepositorySpec, ctx: ReconcileContext): Promise<IncludedTree[]> {
  const trees: IncludedTree[] = [];
  for (const [i, include] of (spec.include ?? []).entries()) {
    const { repository } = include;
    if (!repository?.artifact?.digest) {
      throw new FluxiacError({ kind, name }, "IncludeUnavailable", `include[${i}]: GitRepository "${repository?.name}" has no artifact yet; reconcile it first`);
    }
    trees.push({ include, archive: await ensureGitArtifact(repository.name, repository.spec, repository.artifact, ctx) });
  }
  return trees;
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
 * a cleaned cache), it fetches that exact revision (and its includes) again and verifies the digest:
 * a mismatch is an error, never a silent re-resolve.
 */
export async function ensureGitArtifact(name: string, spec: GitRepositorySpec, artifact: Artifact, ctx: ReconcileContext): Promise<string> {
  if (await ctx.store.has(artifact.digest)) return ctx.store.path(artifact.digest);
  const object = { kind, name };
  const target = targetOfRevision(spec, artifact.revision);
  if (!target) throw new FluxiacError(object, "ArtifactFailed", `revision "${artifact.revision}" is not a Git revision`);
  ctx.log.info(`${kind} "${name}": artifact ${artifact.digest.slice(0, 19)}… not in the local store; fetching ${artifact.revision} again`);
  const includes = await includedTrees(name, spec, ctx);
  const { artifact: fresh } = await fetchGitArtifact(spec, target, ctx.store, { object, log: ctx.log, signal: ctx.signal }, { includes });
  if (fresh.digest !== artifact.digest) {
    throw digestMismatch(object, `revision ${artifact.revision}`, artifact.digest, `the fetched content is ${fresh.digest}`, "the source changed under the same revision, or its ignore rules differ");
  }
  return ctx.store.path(artifact.digest);
}
