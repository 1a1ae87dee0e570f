// GitRepository verify: the fetched commit and/or tag must carry a signature from one of
// verify.publicKeys, checked by git itself (verify-commit / verify-tag) against a throwaway GNUPGHOME
// (PGP keys) and an allowed-signers file (SSH keys).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FluxiacError, type ObjectRef } from "../errors";
import { run } from "../exec";
import { tagOfTarget, type GitTarget } from "./git-resolve";
import { firstLine, type GitContext } from "./git-run";
import type { GitVerification, GitVerificationMode } from "./git-types";

const PGP_KEY = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;
const SSH_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+/;

/** VerificationKeys are verify.publicKeys sorted by kind. */
export interface VerificationKeys {
  pgp: string[];
  ssh: string[];
}

/** parseVerificationKeys splits verify.publicKeys into PGP blocks and SSH keys; anything else is a problem. */
export function parseVerificationKeys(publicKeys: string[]): { keys: VerificationKeys; problems: string[] } {
  const keys: VerificationKeys = { pgp: [], ssh: [] };
  const problems: string[] = [];
  publicKeys.forEach((text, i) => {
    const pgp = text.match(PGP_KEY) ?? [];
    const rest = text.replace(PGP_KEY, "").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const ssh = rest.filter((l) => SSH_KEY.test(l));
    keys.pgp.push(...pgp);
    keys.ssh.push(...ssh.map((l) => SSH_KEY.exec(l)![0]));
    if (rest.length > ssh.length || pgp.length + ssh.length === 0) {
      problems.push(`verify.publicKeys[${i}] must hold ASCII-armored PGP public keys or SSH public keys (ssh-ed25519 AAAA…)`);
    }
  });
  return { keys, problems };
}

/** verifyModeProblem explains why a mode cannot apply to a ref, or returns undefined. */
export function verifyModeProblem(verify: GitVerification, hasTagRef: boolean): string | undefined {
  if (!["HEAD", "Tag", "TagAndHEAD"].includes(verify.mode)) return `verify.mode "${verify.mode}" must be HEAD, Tag or TagAndHEAD`;
  if (verify.mode !== "HEAD" && !hasTagRef) return `verify.mode "${verify.mode}" verifies a tag: set ref.tag or ref.semver, or use mode HEAD`;
  if (!verify.publicKeys?.length) return "verify.publicKeys must hold at least one PGP or SSH public key";
  return undefined;
}

/**
 * verifyGitTarget checks the signatures that verify.mode asks for in a checkout and returns the verified
 * mode (Flux's status.sourceVerificationMode). Any failure throws, naming verify and the mode.
 */
export async function verifyGitTarget(dir: string, verify: GitVerification, target: GitTarget, ctx: GitContext): Promise<GitVerificationMode> {
  const { object } = ctx;
  const fail = (message: string) => new FluxiacError(object, "VerificationFailed", `verify (mode ${verify.mode}): ${message}`);
  const { keys, problems } = parseVerificationKeys(verify.publicKeys ?? []);
  if (problems.length) throw fail(problems.join("; "));
  const tag = tagOfTarget(target);
  const problem = verifyModeProblem(verify, tag !== undefined);
  if (problem) throw fail(problem);

  const home = await mkdtemp(join(tmpdir(), "fluxiac-verify-"));
  try {
    const env = await verificationEnv(home, keys, object, ctx.signal);
    const gitIn = (...args: string[]) => run("git", ["-C", dir, ...args], { env, signal: ctx.signal });
    if (verify.mode === "Tag" || verify.mode === "TagAndHEAD") {
      const type = (await gitIn("cat-file", "-t", `refs/tags/${tag}`)).stdout.trim();
      if (type !== "tag") throw fail(`tag "${tag}" is a lightweight tag and carries no signature; sign an annotated tag (git tag -s) or use mode HEAD`);
      const peeled = (await gitIn("rev-parse", `refs/tags/${tag}^{commit}`)).stdout.trim();
      if (peeled !== target.commit) throw fail(`tag "${tag}" moved from ${target.commit} to ${peeled} while fetching; try again`);
      const r = await gitIn("verify-tag", "--raw", `refs/tags/${tag}`);
      if (r.code !== 0) throw fail(`tag "${tag}" has no valid signature from a key in verify.publicKeys (${signatureProblem(r.stderr)})`);
    }
    if (verify.mode === "HEAD" || verify.mode === "TagAndHEAD") {
      const r = await gitIn("verify-commit", "--raw", target.commit);
      if (r.code !== 0) throw fail(`commit ${target.commit} has no valid signature from a key in verify.publicKeys (${signatureProblem(r.stderr)})`);
    }
    ctx.log.debug(`${object.kind} "${object.name}": verified ${verify.mode} of ${target.revision}`);
    return verify.mode;
  } finally {
    await run("gpgconf", ["--kill", "all"], { env: { PATH: process.env.PATH ?? "", GNUPGHOME: join(home, "gnupg") } }).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}

/** verificationEnv imports the PGP keys into a fresh GNUPGHOME and writes the SSH allowed-signers file. */
async function verificationEnv(home: string, keys: VerificationKeys, object: ObjectRef, signal?: AbortSignal): Promise<NodeJS.ProcessEnv> {
  const gnupg = join(home, "gnupg");
  await mkdir(gnupg, { mode: 0o700 });
  const allowedSigners = join(home, "allowed_signers");
  await writeFile(allowedSigners, keys.ssh.map((k) => `* namespaces="git" ${k}\n`).join(""), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C",
    GNUPGHOME: gnupg,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "gpg.ssh.allowedSignersFile",
    GIT_CONFIG_VALUE_0: allowedSigners,
  };
  for (const key of keys.pgp) {
    const r = await run("gpg", ["--batch", "--quiet", "--import"], { env, input: key, signal });
    if (r.code !== 0) throw new FluxiacError(object, "VerificationFailed", `verify.publicKeys: a PGP key could not be imported: ${firstLine(r.stderr)}`);
  }
  return env;
}

/** signatureProblem summarises git's verification output (gpg status lines or ssh-keygen's message). */
function signatureProblem(stderr: string): string {
  if (!stderr.trim() || /no signature found/i.test(stderr)) return "no signature";
  if (/NO_PUBKEY|No principal matched|no matching principal|Could not verify signature|ERRSIG/i.test(stderr)) return "signed by an unknown key";
  if (/BADSIG|incorrect signature|Signature verification failed/i.test(stderr)) return "bad signature";
  return firstLine(stderr.split("\n").filter((l) => !l.startsWith("[GNUPG:]")).join("\n") || stderr);
}
