// GitRepository checkout: fetch exactly the target commit (shallow), its tag object when verification
// needs it, and its submodules when asked.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FluxiacError, errorMessage } from "../errors";
import { tagOfTarget, type GitTarget } from "./git-resolve";
import { firstLine, git, withGit, type Git, type GitContext } from "./git-run";
import type { GitRepositorySpec } from "./git-types";

/** CheckoutOptions say what a checkout brings besides the commit. */
export interface CheckoutOptions {
  /** Also fetch the target's tag as refs/tags/<tag>, with its annotated tag object. Default false. */
  withTag?: boolean;
}

/**
 * checkoutGitTarget fetches exactly the target commit into a new temp dir (shallow when possible),
 * then the submodules when spec.recurseSubmodules is set, and returns the dir. The caller removes it.
 */
export async function checkoutGitTarget(spec: GitRepositorySpec, target: GitTarget, ctx: GitContext, opts: CheckoutOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-git-"));
  const tag = opts.withTag ? tagOfTarget(target) : undefined;
  const tagRefspec = tag ? [`+refs/tags/${tag}:refs/tags/${tag}`] : [];
  try {
    await withGit(spec, ctx, async (env, signal) => {
      const g = git(dir, env, signal);
      await g("init", "-q");
      await g("remote", "add", "origin", spec.url);
      try {
        // Protocol v2 servers hand out any reachable commit, so the exact commit is one shallow fetch.
        await g("fetch", "--depth=1", "--no-tags", "origin", target.commit, ...tagRefspec);
      } catch (err) {
        if (signal.aborted) throw err;
        // Servers that refuse unadvertised commits: fetch the ref (or every branch and tag) instead.
        ctx.log.debug(`fetch by commit refused (${firstLine(errorMessage(err))}); fetching ${target.fetchRef ?? "all branches and tags"}`);
        const refspecs = target.fetchRef ? [`+${target.fetchRef}:refs/fluxiac/target`] : ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
        await g("fetch", "--no-tags", "origin", ...refspecs, ...tagRefspec);
      }
      await g("checkout", "-q", "--detach", "--force", target.commit).catch((err) => {
        throw new FluxiacError(ctx.object, "RefNotFound", `commit ${target.commit} was not found in ${spec.url}: ${firstLine(errorMessage(err))}`);
      });
      if (spec.recurseSubmodules) await checkoutSubmodules(dir, g);
    });
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * checkoutSubmodules fetches every submodule recursively and shallowly, through the same environment
 * (credentials, TLS, timeout). Submodule URLs keep git's defaults: file:// submodules stay refused
 * (protocol.file.allow=user), as a remote repository must not make git read local paths.
 * The submodules' `.git` files are removed so that they never reach the artifact.
 */
async function checkoutSubmodules(dir: string, g: Git): Promise<void> {
  await g("submodule", "update", "--init", "--recursive", "--depth=1");
  const status = await g("submodule", "status", "--recursive");
  for (const line of status.split("\n")) {
    const path = /^[ +-U]?[0-9a-f]{40} (\S+)/.exec(line)?.[1];
    if (path) await rm(join(dir, path, ".git"), { force: true });
  }
}
