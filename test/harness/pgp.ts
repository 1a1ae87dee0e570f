// Throwaway PGP keys made with the real gpg, for tests of SOPS decryption with PGP keys.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { dirname, join } from "node:path";
import { tool } from "./tools";

/** PgpKey is a PGP key without a passphrase: the GnuPG home holding it, its fingerprint and its armoured private key. */
export interface PgpKey {
  home: string;
  fingerprint: string;
  armored: string;
}

/** pgpKey makes a key (ed25519 with a cv25519 encryption subkey) in a new GnuPG home under dir. */
export function pgpKey(dir: string, uid: string): PgpKey {
  const home = mkdtempSync(join(dir, "gnupg-"));
  const gpg = (...args: string[]) =>
    execFileSync(tool("gpg"), ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { encoding: "utf8", env: { ...process.env, GNUPGHOME: home }, stdio: ["ignore", "pipe", "ignore"] });
  gpg("--quick-generate-key", `${uid} <${uid}@example.test>`, "future-default", "default", "never");
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(gpg("--with-colons", "--list-secret-keys"))![1];
  return { home, fingerprint, armored: gpg("--armor", "--export-secret-keys", fingerprint) };
}

/** sopsPgpEnv is the environment in which `sops encrypt --pgp <fingerprint>` finds key's public key. */
export function sopsPgpEnv(key: PgpKey): NodeJS.ProcessEnv {
  return { ...process.env, GNUPGHOME: key.home, SOPS_GPG_EXEC: tool("gpg") };
}

/** stopAgent stops the gpg-agent that key generation started in key's home. */
export function stopAgent(key: PgpKey): void {
  execFileSync(join(dirname(tool("gpg")), "gpgconf"), ["--kill", "all"], { env: { ...process.env, GNUPGHOME: key.home } });
}
