// The keys one build decrypts with: age identities in memory, and PGP private keys imported into a
// private, temporary GnuPG home that sops's gpg reads (kustomize-controller imports `*.asc` the same way).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../exec";

/** PGP_PRIVATE_KEY is the header of an ASCII-armoured PGP private key block. */
export const PGP_PRIVATE_KEY = "-----BEGIN PGP PRIVATE KEY BLOCK-----";

/** DecryptionKeys are the private keys of spec.decryption, by kind. Secret: never logged or stored in plain state. */
export interface DecryptionKeys {
  /** age identities (`AGE-SECRET-KEY-1…`). */
  age: string[];
  /** ASCII-armoured PGP private keys; `where` names the field or Secret entry for errors, never the key. */
  pgp: { armored: string; where: string }[];
}

/** Keyring is DecryptionKeys ready for sops; close removes the GnuPG home and stops its agent. */
export interface Keyring {
  age: string[];
  /** The private GNUPGHOME holding the PGP keys; absent without PGP keys. */
  gnupgHome?: string;
  /** material is every key's text, for keying digests (post-build.ts); never written anywhere. */
  material: string[];
  close(): Promise<void>;
}

/** KeyringError is a key gpg refused; its message names the entry, never the key. */
export class KeyringError extends Error {}

/** gpgCommand is $FLUXIAC_GPG, else `gpg` on PATH; sops is pointed at the same binary (SOPS_GPG_EXEC). */
function gpgCommand(): string {
  return process.env.FLUXIAC_GPG || "gpg";
}

/** gpgEnv is the whole environment of gpg and sops runs: PATH and the private home, nothing of the user's. */
export function gpgEnv(gnupgHome: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: gnupgHome, GNUPGHOME: gnupgHome, SOPS_GPG_EXEC: gpgCommand() };
}

/** stopAgent stops the gpg-agent that gpg started for home; gpgconf sits next to gpg. Best effort. */
async function stopAgent(home: string): Promise<void> {
  const gpg = gpgCommand();
  const gpgconf = gpg.includes("/") ? join(dirname(gpg), "gpgconf") : "gpgconf";
  await run(gpgconf, ["--kill", "all"], { env: gpgEnv(home) }).catch(() => undefined);
}

/**
 * openKeyring imports the PGP keys once into a new GNUPGHOME (mode 0700 under the temp dir, never the
 * user's ~/.gnupg); the caller closes the keyring in a finally. A key gpg cannot import fails naming its entry.
 */
export async function openKeyring(keys: DecryptionKeys): Promise<Keyring> {
  const material = [...keys.age, ...keys.pgp.map((k) => k.armored)];
  if (!keys.pgp.length) return { age: keys.age, material, close: async () => {} };
  const home = await mkdtemp(join(tmpdir(), "fluxiac-gnupg-"));
  const close = async () => {
    await stopAgent(home);
    await rm(home, { recursive: true, force: true });
  };
  try {
    for (const key of keys.pgp) {
      const res = await run(gpgCommand(), ["--batch", "--no-tty", "--import"], { env: gpgEnv(home), input: key.armored }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") throw new KeyringError(`gpg was not found: install GnuPG 2 on PATH (or set FLUXIAC_GPG) to decrypt with ${key.where}`);
        throw err;
      });
      if (res.code !== 0) {
        const reason = res.stderr.split(home).join("").split("\n").find((l) => /^gpg: .*(error|invalid|no valid|failed)/i.test(l)) ?? `gpg exited with ${res.code}`;
        throw new KeyringError(`${key.where} cannot be imported as a PGP private key (${reason.trim()}); replace it with an ASCII-armoured private key without a passphrase`);
      }
    }
    return { age: keys.age, gnupgHome: home, material, close };
  } catch (err) {
    await close();
    throw err;
  }
}
