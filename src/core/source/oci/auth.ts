// Registry credentials: Docker config.json lookup, WWW-Authenticate challenges, Basic headers.
import type { OCIAuth } from "../oci-types";

/** Credentials are a username and password for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** Challenge is a parsed `WWW-Authenticate` header: its scheme and parameters (realm, service, scope). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** RegistryAuthError reports credentials that cannot be read; its message names the field to fix. */
export class RegistryAuthError extends Error {}

/** parseChallenge reads `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** basicHeader is the `Authorization` value for HTTP basic authentication. */
export function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}

/** normalizeRegistryKey reduces a config.json `auths` key (`https://host:port/v1/`, `host`) to `host[:port]`. */
export function normalizeRegistryKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "").toLowerCase();
}

/**
 * credentialsFor returns the credentials for host (`host[:port]`): `auth.username`/`auth.password`, or the
 * `auths` entry of `auth.dockerConfigJson` whose key matches the host (`auth` is base64 user:password,
 * or `username`/`password`). Undefined means anonymous.
 */
export function credentialsFor(host: string, auth: OCIAuth | undefined): Credentials | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined || auth.password !== undefined) return { username: auth.username ?? "", password: auth.password ?? "" };
  if (!auth.dockerConfigJson) return undefined;
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(auth.dockerConfigJson);
  } catch {
    throw new RegistryAuthError("auth.dockerConfigJson is not valid JSON; give the content of a Docker config.json");
  }
  const want = host.toLowerCase();
  const entry = Object.entries(config.auths ?? {}).find(([key]) => normalizeRegistryKey(key) === want)?.[1];
  if (!entry) return undefined;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new RegistryAuthError(`auth.dockerConfigJson: the "auth" of ${host} is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined || entry.password !== undefined) return { username: entry.username ?? "", password: entry.password ?? "" };
  return undefined;
}
