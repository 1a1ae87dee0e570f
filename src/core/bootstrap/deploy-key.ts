// Deploy keys and known_hosts for bootstrap: key pairs from node:crypto in OpenSSH format (sshpk), and the
// server's host keys from ssh-keyscan when the user opts in.
import { generateKeyPairSync } from "node:crypto";
import sshpk from "sshpk";
import { run } from "../exec";
import { isSshUrl } from "../source/git-auth";
import type { DeployKey, DeployKeyAlgorithm } from "./types";

/** generateDeployKey makes a new SSH key pair: ECDSA P-384 by default (Flux's default), or ed25519. */
export function generateDeployKey(algorithm: DeployKeyAlgorithm = "ecdsa-p384", comment = "fluxiac"): DeployKey {
  const { privateKey } =
    algorithm === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-384" });
  const key = sshpk.parsePrivateKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "pem");
  key.comment = comment;
  return { algorithm, privateKey: key.toString("openssh"), publicKey: key.toPublic().toString("ssh") };
}

/** publicKeyOf derives the authorized_keys line of an OpenSSH (or PEM) private key. */
export function publicKeyOf(privateKey: string, comment = "fluxiac"): string {
  const key = sshpk.parsePrivateKey(privateKey, "auto");
  key.comment = comment;
  return key.toPublic().toString("ssh");
}

/** ALGORITHMS maps sshpk's key type (and curve) to the deploy key algorithm. */
function algorithmOf(key: sshpk.PrivateKey): DeployKeyAlgorithm | undefined {
  if (key.type === "ed25519") return "ed25519";
  if (key.type === "ecdsa" && key.curve === "nistp384") return "ecdsa-p384";
  return undefined;
}

/**
 * adoptDeployKey returns the deploy key an existing Secret holds when it is of the wanted algorithm, so a
 * bootstrap whose IaC state was lost keeps the key the repository already trusts. Undefined otherwise.
 */
export function adoptDeployKey(identity: string | undefined, algorithm: DeployKeyAlgorithm): DeployKey | undefined {
  if (!identity) return undefined;
  try {
    const key = sshpk.parsePrivateKey(identity, "auto");
    if (algorithmOf(key) !== algorithm) return undefined;
    return { algorithm, privateKey: identity, publicKey: publicKeyOf(identity) };
  } catch {
    return undefined;
  }
}

/** sshHost returns the host and port of an SSH Git URL (ssh://user@host:port/path or user@host:path). */
export function sshHost(url: string): { host: string; port: number } | undefined {
  if (!isSshUrl(url)) return undefined;
  if (url.startsWith("ssh://")) {
    const u = new URL(url);
    return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 22 };
  }
  return { host: /^[^@]+@([^:]+):/.exec(url)![1], port: 22 };
}

/**
 * scanKnownHosts asks the SSH server of url for its host keys with ssh-keyscan (only when the user opted
 * in: the answer is trusted as it comes). Returns known_hosts lines; throws when the server gives none.
 */
export async function scanKnownHosts(url: string, signal?: AbortSignal): Promise<string> {
  const target = sshHost(url);
  if (!target) throw new Error(`${url} is not an SSH URL; known_hosts applies to ssh:// URLs only`);
  const r = await run("ssh-keyscan", ["-T", "10", "-p", String(target.port), target.host], { signal });
  const lines = r.stdout.split("\n").filter((l) => l && !l.startsWith("#"));
  if (!lines.length) throw new Error(`ssh-keyscan got no host key from ${target.host}:${target.port}: check the URL, or set auth.knownHosts`);
  return `${lines.sort().join("\n")}\n`;
}
