// Signing keys for the Git fixture: a PGP key made with `gpg --batch` in a throwaway GNUPGHOME, or an
// SSH key made with ssh-keygen. Pass one as `sign` to GitRepo.commit / GitRepo.tag.
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { tool } from "./tools.js";

/** GitSigner signs fixture commits and tags: `config` goes before the git command, `env` into its environment. */
export interface GitSigner {
  /** The public key to put in verify.publicKeys: an armored PGP block or an `ssh-ed25519 AAAA…` line. */
  publicKey: string;
  /** `-c key=value` arguments that make git sign with this key. */
  config: string[];
  env: Record<string, string>;
  /** stop ends the signer's gpg-agent, if any. */
  stop(): Promise<void>;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(" ")}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** makePgpSigner generates an ed25519 PGP key (no passphrase) for `uid` in a new GNUPGHOME under dir. */
export async function makePgpSigner(dir: string, uid = "fluxiac-test <test@fluxiac.dev>"): Promise<GitSigner> {
  const gpg = tool("gpg");
  const home = await mkdtemp(join(dir, "gpg-"));
  const env = { ...process.env, GNUPGHOME: home };
  await exec(gpg, ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"], env);
  const colons = await exec(gpg, ["--batch", "--with-colons", "--list-secret-keys"], env);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
  if (!fpr) throw new Error(`gpg made no key: ${colons}`);
  const publicKey = await exec(gpg, ["--batch", "--armor", "--export", fpr], env);
  return {
    publicKey,
    config: ["-c", "gpg.format=openpgp", "-c", `gpg.program=${gpg}`, "-c", `user.signingkey=${fpr}`],
    env: { GNUPGHOME: home },
    stop: () => exec("gpgconf", ["--kill", "all"], env).then(() => undefined, () => undefined),
  };
}

/** makeSshSigner generates an ed25519 SSH signing key (no passphrase) under dir. */
export async function makeSshSigner(dir: string): Promise<GitSigner> {
  const keygen = tool("ssh-keygen");
  const key = join(await mkdtemp(join(dir, "ssh-signer-")), "id_ed25519");
  await exec(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "fluxiac-signer", "-f", key], process.env);
  return {
    publicKey: (await readFile(`${key}.pub`, "utf8")).trim(),
    config: ["-c", "gpg.format=ssh", "-c", `gpg.ssh.program=${keygen}`, "-c", `user.signingkey=${key}`],
    env: {},
    stop: async () => {},
  };
}
