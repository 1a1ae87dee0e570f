// GitRepository include: copy other GitRepositories' artifacts into the tree before it is packed.
import { cp, lstat, mkdir, mkdtemp, readdir, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { extract } from "../artifact/archive";
import { FluxiacError } from "../errors";
import type { GitContext } from "./git-run";
import type { GitRepositoryInclude } from "./git-types";

/** IncludedTree is one include whose artifact is in the local store at `archive`. */
export interface IncludedTree {
  include: GitRepositoryInclude;
  /** Path of the included artifact's tar.gz. */
  archive: string;
}

/** includePathProblem explains why an include path would leave the tree (absolute or `..`), or returns undefined. */
export function includePathProblem(path: string | undefined, field: string): string | undefined {
  if (path === undefined || path === "") return undefined;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.includes("\\")) return `${field} "${path}" must be a relative path inside the tree`;
  if (posix.normalize(path).split("/").includes("..")) return `${field} "${path}" must not contain ".."`;
  return undefined;
}

/** toPathOf is where an include lands: toPath, or the included repository's name (Flux's default). */
export function toPathOf(include: GitRepositoryInclude): string {
  return include.toPath || include.repository.name;
}

/** relSegments normalises a checked relative path into its segments ("" and "." give none). */
function relSegments(path: string | undefined): string[] {
  return posix.normalize(path || ".").split("/").filter((s) => s && s !== ".");
}

/**
 * copyIncludes copies each included artifact's fromPath (default its root) to toPath (default the
 * included repository's name) inside dir, in order, merging with what is there. Paths that leave the
 * tree are refused, and the checkout's symlinks are removed first (they never enter an artifact), so
 * no copy can write through one.
 */
export async function copyIncludes(dir: string, trees: IncludedTree[], ctx: GitContext): Promise<void> {
  if (trees.length > 0) await dropSymlinks(dir);
  for (const [i, { include, archive }] of trees.entries()) {
    const field = `include[${i}]`;
    const toPath = toPathOf(include);
    const problem = includePathProblem(include.fromPath, `${field}.fromPath`) ?? includePathProblem(toPath, `${field}.toPath`);
    if (problem) throw new FluxiacError(ctx.object, "ValidationFailed", problem);
    const dest = await safeDestination(dir, relSegments(toPath), field, ctx);
    const tmp = await mkdtemp(join(tmpdir(), "fluxiac-include-"));
    try {
      await extract(archive, tmp);
      const src = join(tmp, ...relSegments(include.fromPath));
      if (!(await lstat(src).catch(() => undefined))) {
        throw new FluxiacError(
          ctx.object,
          "IncludeUnavailable",
          `${field}.fromPath "${include.fromPath}" was not found in the artifact ${include.repository.artifact.revision} of GitRepository "${include.repository.name}"`,
        );
      }
      await mkdir(dirname(dest), { recursive: true });
      await cp(src, dest, { recursive: true, force: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** safeDestination joins segments under dir and refuses a parent component that exists as a file. */
async function safeDestination(dir: string, segments: string[], field: string, ctx: GitContext): Promise<string> {
  if (segments.length === 0) return dir;
  let path = dir;
  for (const [n, segment] of segments.entries()) {
    path = join(path, segment);
    const st = await lstat(path).catch(() => undefined);
    if (!st) break;
    if (n < segments.length - 1 && !st.isDirectory()) {
      throw new FluxiacError(ctx.object, "ValidationFailed", `${field}.toPath "${segments.join("/")}" passes through "${segments.slice(0, n + 1).join("/")}", which is not a directory of the repository`);
    }
  }
  return join(dir, ...segments);
}

/** dropSymlinks removes every symlink below dir, outside `.git`. */
async function dropSymlinks(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) await unlink(path);
    else if (entry.isDirectory() && entry.name !== ".git") await dropSymlinks(path);
  }
}
