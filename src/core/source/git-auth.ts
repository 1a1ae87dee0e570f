// Git credentials as environment for the git CLI: nothing lands in argv, URLs or .git/config.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitAuth } from "./git-types";

/** GitEnv is the environment for one git invocation plus the secrets to mask in its output. */
export interface GitEnv {
  env: Record<string, string>;
  secrets: string[];
  cleanup(): Promise<void>;
}

/** isSshUrl reports whether a Git URL uses SSH (ssh:// or scp-like user@host:path). */
export function isSshUrl(url: string): boolean {
  return url.startsWith("ssh://") || /^[^/:@]+@[^/:]+:/.test(url);
}

/** gitEnv prepares credentials for `url`: an http.extraHeader through GIT_CONFIG_*, or an ssh command with key files. */
export async function gitEnv(url: string, auth: GitAuth | undefined): Promise<GitEnv> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? tmpdir(),
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    LANG: "C",
  };
  const secrets: string[] = [];
  let dir: string | undefined;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  const config: [string, string][] = [];

  if (isSshUrl(url)) {
    const ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"];
    if (auth?.identity || auth?.knownHosts) {
      dir = await mkdtemp(join(tmpdir(), "fluxiac-ssh-"));
      if (auth.identity) {
        const key = join(dir, "identity");
        await writeFile(key, auth.identity.endsWith("\n") ? auth.identity : `${auth.identity}\n`, { mode: 0o600 });
        ssh.push("-i", key);
        secrets.push(auth.identity);
      }
      if (auth.knownHosts) {
        const kh = join(dir, "known_hosts");
        await writeFile(kh, auth.knownHosts.endsWith("\n") ? auth.knownHosts : `${auth.knownHosts}\n`, { mode: 0o600 });
        ssh.push("-o", `UserKnownHostsFile=${kh}`, "-o", "GlobalKnownHostsFile=/dev/null");
      }
    }
    env.GIT_SSH_COMMAND = ssh.join(" ");
  } else if (auth?.bearerToken) {
    config.push(["http.extraHeader", `Authorization: Bearer ${auth.bearerToken}`]);
    secrets.push(auth.bearerToken);
  } else if (auth?.username !== undefined || auth?.password !== undefined) {
    const basic = Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64");
    config.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
    secrets.push(basic);
    if (auth.password) secrets.push(auth.password);
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
