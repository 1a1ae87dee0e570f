// Git credentials and TLS material as environment for the git CLI: nothing lands in argv, URLs or .git/config.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import type { GitAuth } from "./git-types";
import type { TLSConfig } from "./tls";

/** GitEnv is the environment for one git invocation plus the secrets to mask in its output. */
export interface GitEnv {
  env: Record<string, string>;
  secrets: string[];
  cleanup(): Promise<void>;
}

/** GitEnvOptions are the settings of gitEnv besides the URL and credentials. */
export interface GitEnvOptions {
  /** CA bundle and client certificate for HTTPS. Default: the system's trust. */
  tls?: TLSConfig;
  /**
   * Seconds after which a stalled connection gives up by itself (curl's low-speed limit, ssh's
   * ConnectTimeout), so no helper process outlives an aborted git. Default: none.
   */
  stallSeconds?: number;
  /** Extra git config (key, value) pairs, passed the same way. Default: none. */
  config?: [string, string][];
}

/** isSshUrl reports whether a Git URL uses SSH (ssh:// or scp-like user@host:path). */
export function isSshUrl(url: string): boolean {
  return url.startsWith("ssh://") || /^[^/:@]+@[^/:]+:/.test(url);
}

/**
 * headerKey scopes the Authorization header to the repository's own scheme, host and port
 * (`http.<url>.extraHeader`), so a submodule on another host never receives the credentials.
 */
function headerKey(url: string): string {
  try {
    const { origin } = new URL(url);
    return origin && origin !== "null" ? `http.${origin}/.extraHeader` : "http.extraHeader";
  } catch {
    return "http.extraHeader";
  }
}

const withNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);

/**
 * gitEnv prepares credentials for `url`: an http.extraHeader and TLS files through GIT_CONFIG_*, or an
 * ssh command with key files. Every file is mode 0600 in a temp dir that cleanup() removes.
 */
export async function gitEnv(url: string, auth: GitAuth | undefined, opts: GitEnvOptions = {}): Promise<GitEnv> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? tmpdir(),
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    LANG: "C",
  };
  const secrets: string[] = [];
  let dir: string | undefined;
  const file = async (name: string, content: string): Promise<string> => {
    dir ??= await mkdtemp(join(tmpdir(), "fluxiac-git-env-"));
    const path = join(dir, name);
    await writeFile(path, withNewline(content), { mode: 0o600 });
    return path;
  };
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  const config: [string, string][] = [...(opts.config ?? [])];

  try {
    if (isSshUrl(url)) {
      const ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"];
      if (opts.stallSeconds) ssh.push("-o", `ConnectTimeout=${opts.stallSeconds}`, "-o", "ServerAliveInterval=5", "-o", `ServerAliveCountMax=${Math.max(1, Math.ceil(opts.stallSeconds / 5))}`);
      if (auth?.identity) {
        ssh.push("-i", await file("identity", auth.identity));
        secrets.push(auth.identity);
      }
      if (auth?.knownHosts) {
        ssh.push("-o", `UserKnownHostsFile=${await file("known_hosts", auth.knownHosts)}`, "-o", "GlobalKnownHostsFile=/dev/null");
      }
      env.GIT_SSH_COMMAND = ssh.join(" ");
    } else if (auth?.bearerToken) {
      config.push([headerKey(url), `Authorization: Bearer ${auth.bearerToken}`]);
      secrets.push(auth.bearerToken);
    } else if (auth?.username !== undefined || auth?.password !== undefined) {
      const basic = Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64");
      config.push([headerKey(url), `Authorization: Basic ${basic}`]);
      secrets.push(basic);
      if (auth.password) secrets.push(auth.password);
    }
    // As in Flux (go-git appends caFile to the system pool), the CA adds to the default trust.
    if (opts.tls?.caCert) config.push(["http.sslCAInfo", await file("ca.crt", [...rootCertificates, opts.tls.caCert].join("\n"))]);
    if (opts.tls?.cert) config.push(["http.sslCert", await file("tls.crt", opts.tls.cert)]);
    if (opts.tls?.key) {
      config.push(["http.sslKey", await file("tls.key", opts.tls.key)]);
      secrets.push(opts.tls.key);
    }
    if (opts.stallSeconds) config.push(["http.lowSpeedLimit", "1"], ["http.lowSpeedTime", String(opts.stallSeconds)]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return { env, secrets, cleanup };
}

/** maskSecrets replaces every secret (and user:password@ in URLs) in text. */
export function maskSecrets(text: string, secrets: string[]): string {
  let out = text.replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, "$1***@");
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}
