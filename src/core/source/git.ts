// GitRepository fetch: check out the resolved commit, verify it, copy the includes, pack the artifact.
// The verbs live in their own files: git-resolve (ls-remote), git-checkout, git-verify, git-include.
import { rm } from "node:fs/promises";
import { FluxiacError, errorMessage } from "../errors";
import type { ArtifactStore } from "../artifact/store";
import { checkoutGitTarget } from "./git-checkout";
import { copyIncludes, type IncludedTree } from "./git-include";
import type { GitTarget } from "./git-resolve";
import type { GitContext } from "./git-run";
import type { Artifact, GitRepositorySpec, GitVerificationMode } from "./git-types";
import { verifyGitTarget } from "./git-verify";

/** FetchOptions are what a fetch needs besides the spec and the target. */
export interface FetchOptions {
  /** The spec's include[], in order, with each included artifact's local archive. Default: none. */
  includes?: IncludedTree[];
}

/** GitFetchResult is a packed artifact and the verification it passed. */
export interface GitFetchResult {
  artifact: Artifact;
  /** The verify.mode the commit/tag passed (Flux's status.sourceVerificationMode); unset without verify. */
  sourceVerificationMode?: GitVerificationMode;
}

/**
 * fetchGitArtifact checks out the target, verifies its signatures (verify), copies the included
 * artifacts (include) and packs the tree into the store. Nothing is packed when a step fails.
 */
export async function fetchGitArtifact(spec: GitRepositorySpec, target: GitTarget, store: ArtifactStore, ctx: GitContext, opts: FetchOptions = {}): Promise<GitFetchResult> {
  const started = Date.now();
  const verify = spec.verify;
  const dir = await checkoutGitTarget(spec, target, ctx, { withTag: verify !== undefined && verify.mode !== "HEAD" });
  try {
    const sourceVerificationMode = verify ? await verifyGitTarget(dir, verify, target, ctx) : undefined;
    await copyIncludes(dir, opts.includes ?? [], ctx);
    const { digest, size } = await store.packDir(dir, { ignore: spec.ignore }).catch((err: unknown) => {
      throw new FluxiacError(ctx.object, "ArtifactFailed", `packing revision ${target.revision} failed: ${errorMessage(err)}`);
    });
    ctx.log.info(`${ctx.object.kind} "${ctx.object.name}": stored artifact for revision ${target.revision} (${size} bytes, ${Date.now() - started} ms)`);
    return { artifact: { revision: target.revision, digest, size }, sourceVerificationMode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
