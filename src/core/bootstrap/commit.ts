// Bootstrap's Git side: read the branch, and write files as commits pushed to it, cloning again and
// retrying when someone else pushed in between. Git runs through the one exec seam, with credentials only
// in git's environment.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FluxiacError, errorMessage } from "../errors";
import { run } from "../exec";
import type { GitEnv } from "../source/git-auth";
import { parseLsRemote } from "../source/git-resolve";
import { firstLine, git, withGit, type Git, type GitContext } from "../source/git-run";
import type { GitRepositorySpec } from "../source/git-types";
import type { BootstrapGitSpec, CommitSigning } from "./types";

/** Checkout is a fresh shallow clone of the branch: its directory and head commit (none when the branch is new). */
export interface Checkout {
  dir: string;
  head?: string;
}

/** CommitStep is one commit: files to write (content) or remove (null), by repository path. */
export interface CommitStep {
  message: string;
  files: Record<string, string | null>;
}

/** PushOptions tune pushCommits. */
export interface PushOptions {
  /** How many times to clone and push before giving up on non-fast-forward pushes. Default 5. */
  attempts?: number;
  /** Test seam: runs after the commits are made and before each push. Default none. */
  beforePush?: () => Promise<void>;
}

/** PushResult is the branch's revision after pushCommits and the commits it pushed. */
export interface PushResult {
  revision: string;
  commits: number;
}

/** gitSpec is the GitRepository spec bootstrap's Git operations use. */
export function gitSpec(spec: BootstrapGitSpec): GitRepositorySpec {
  return { url: spec.url, auth: spec.auth, tls: spec.tls, timeout: spec.timeout ?? "60s", ref: { branch: branchOf(spec) } };
}

/** branchOf is the spec's branch, default "main". */
export function branchOf(spec: BootstrapGitSpec): string {
  return spec.branch ?? "main";
}

/** revisionOf is Flux's revision string of a branch head. */
export const revisionOf = (branch: string, sha: string) => `${branch}@sha1:${sha}`;

/** clone fetches the branch's head shallowly into dir (or starts the branch as an orphan when it is missing). */
async function clone(dir: string, url: string, branch: string, g: Git): Promise<Checkout> {
  await g("init", "-q");
  await g("remote", "add", "origin", url);
  const head = parseLsRemote(await g("ls-remote", "origin", `refs/heads/${branch}`)).get(`refs/heads/${branch}`);
  if (!head) {
    await g("checkout", "-q", "--orphan", branch);
    return { dir };
  }
  await g("fetch", "-q", "--depth=1", "--no-tags", "origin", `+refs/heads/${branch}:refs/remotes/origin/${branch}`);
  await g("checkout", "-q", "-f", "-B", branch, `refs/remotes/origin/${branch}`);
  return { dir, head };
}

/** withCheckout clones the branch into a temp dir, runs fn on it, and removes the dir. */
export async function withCheckout<T>(spec: BootstrapGitSpec, ctx: GitContext, fn: (c: Checkout, g: Git, env: GitEnv, signal: AbortSignal) => Promise<T>): Promise<T> {
  return withGit(gitSpec(spec), ctx, async (env, signal) => {
    const dir = await mkdtemp(join(tmpdir(), "fluxiac-bootstrap-"));
    try {
      const g = git(dir, env, signal);
      return await fn(await clone(dir, spec.url, branchOf(spec), g), g, env, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** readFiles reads repository files of a checkout; a missing file is undefined. */
export async function readFiles(c: Checkout, paths: string[]): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const p of paths) out[p] = await readFile(join(c.dir, p), "utf8").catch(() => undefined);
  return out;
}

/** isNonFastForward reports a push refused because the branch moved since the clone. */
function isNonFastForward(stderr: string): boolean {
  return /non-fast-forward|fetch first|\[rejected\]|stale info|cannot lock ref/i.test(stderr);
}

/**
 * pushCommits clones the branch, asks prepare for the commits to make on that checkout, makes those that
 * change something (nothing staged, no commit) and pushes. A push refused as non-fast-forward (someone
 * pushed in between) clones again and retries, up to `attempts` times, so both changes survive.
 */
export async function pushCommits(
  spec: BootstrapGitSpec,
  prepare: (c: Checkout) => Promise<CommitStep[]>,
  ctx: GitContext,
  opts: PushOptions = {},
): Promise<PushResult> {
  const attempts = opts.attempts ?? 5;
  const branch = branchOf(spec);
  for (let attempt = 1; ; attempt++) {
    const result = await withCheckout(spec, ctx, async (c, g, env, signal) => {
      const signer = spec.signing
        ? await signingConfig(spec.signing).catch((err) => {
            throw new FluxiacError(ctx.object, "ValidationFailed", `signing: ${errorMessage(err)}; check signing.format and signing.key`);
          })
        : undefined;
      try {
        const gc = commitRunner(c.dir, env, spec, signer, signal);
        let commits = 0;
        for (const step of await prepare(c)) if (await commitStep(c, g, gc, withAppendix(step, spec.commitMessageAppendix), signer !== undefined)) commits++;
        if (!commits) return { revision: c.head ? revisionOf(branch, c.head) : "", commits };
        await opts.beforePush?.();
        try {
          await g("push", "-q", "origin", `HEAD:refs/heads/${branch}`);
        } catch (err) {
          if (isNonFastForward(errorMessage(err))) return undefined;
          throw err;
        }
        return { revision: revisionOf(branch, (await g("rev-parse", "HEAD")).trim()), commits };
      } finally {
        await signer?.cleanup();
      }
    });
    if (result) return result;
    if (attempt >= attempts) {
      throw new FluxiacError(ctx.object, "GitOperationFailed", `the push to branch "${branch}" of ${spec.url} was refused ${attempts} times as non-fast-forward: others keep pushing; run again`);
    }
    ctx.log.info(`${ctx.object.kind} "${ctx.object.name}": branch "${branch}" moved during the push; cloning again (attempt ${attempt + 1} of ${attempts})`);
  }
}

/** withAppendix appends commitMessageAppendix to a step's message after a blank line, as `flux bootstrap` does. */
function withAppendix(step: CommitStep, appendix: string | undefined): CommitStep {
  return appendix ? { ...step, message: `${step.message}\n\n${appendix}` } : step;
}

/** commitStep writes one step's files and commits them when anything is staged; false when nothing changed. */
async function commitStep(c: Checkout, g: Git, gc: Git, step: CommitStep, sign: boolean): Promise<boolean> {
  for (const [path, content] of Object.entries(step.files)) {
    const abs = join(c.dir, path);
    if (content === null) await rm(abs, { recursive: true, force: true });
    else {
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
  }
  // The checkout is fresh: everything that changed is this step's.
  await g("add", "-A");
  const staged = await g("diff", "--cached", "--name-only");
  if (!staged.trim()) return false;
  await gc("commit", "-q", "--no-verify", ...(sign ? ["-S"] : []), "-m", step.message);
  return true;
}

/** commitRunner runs git commit with the author, committer and signing configuration in its environment. */
function commitRunner(dir: string, env: GitEnv, spec: BootstrapGitSpec, signer: Signer | undefined, signal: AbortSignal): Git {
  const author = spec.author ?? { name: "Flux", email: "" };
  const extra: Record<string, string> = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    ...(signer?.env ?? {}),
  };
  const config = [...envConfig(env.env), ...(signer?.config ?? [])];
  const vars: Record<string, string> = { ...env.env, ...extra, GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([k, v], i) => {
    vars[`GIT_CONFIG_KEY_${i}`] = k;
    vars[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return git(dir, { ...env, env: vars }, signal);
}

/** envConfig reads the GIT_CONFIG_* pairs back out of an environment. */
function envConfig(env: Record<string, string>): [string, string][] {
  const n = Number(env.GIT_CONFIG_COUNT ?? 0);
  return Array.from({ length: n }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`], env[`GIT_CONFIG_VALUE_${i}`]] as [string, string]);
}

/** Signer is git configuration that signs commits, and the temp files behind it. */
interface Signer {
  config: [string, string][];
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * signingConfig prepares commit signing: an SSH private key in a mode-0600 temp file (gpg.format=ssh),
 * or a PGP secret key imported into a throwaway GNUPGHOME (gpg.format=openpgp). cleanup removes both.
 */
async function signingConfig(s: CommitSigning): Promise<Signer> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-sign-"));
  const cleanup = async () => {
    if (s.format === "openpgp") await run("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: dir } }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (s.format === "ssh") {
      const key = join(dir, "signing-key");
      await writeFile(key, s.key.endsWith("\n") ? s.key : `${s.key}\n`, { mode: 0o600 });
      return { config: [["gpg.format", "ssh"], ["user.signingkey", key]], env: {}, cleanup };
    }
    const env = { ...process.env, GNUPGHOME: dir };
    const imported = await run("gpg", ["--batch", "--import"], { env, input: s.key });
    if (imported.code !== 0) throw new Error(`the PGP signing key could not be imported: ${firstLine(imported.stderr)}`);
    const list = await run("gpg", ["--batch", "--with-colons", "--list-secret-keys"], { env });
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(list.stdout)?.[1];
    if (!fpr) throw new Error("signing.key holds no PGP secret key");
    return { config: [["gpg.format", "openpgp"], ["user.signingkey", fpr]], env: { GNUPGHOME: dir }, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
