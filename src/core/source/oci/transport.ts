// RegistryTransport: one registry host over undici, with TLS settings, per-call timeouts, Basic and
// bearer-token authentication (tokens cached per scope) and errors that name the field to fix.
import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import type { Reason } from "../../errors";
import type { OCIAuth } from "../oci-types";
import type { TLSConfig } from "../tls";
import { basicHeader, credentialsFor, parseChallenge, type Challenge, type Credentials } from "./auth";
import { registryBaseUrl } from "./reference";

/** RegistryClientOptions say how to reach one registry host. */
export interface RegistryClientOptions {
  /** `host[:port]` of the registry. */
  host: string;
  /** Talk plain HTTP. Otherwise HTTPS always, never a silent fallback. @default false */
  insecure?: boolean;
  /** Credentials: username/password or a Docker config.json. @default anonymous */
  auth?: OCIAuth;
  /** CA bundle and client certificate for HTTPS. @default the system's CAs */
  tls?: TLSConfig;
  /** Bound of every registry call, in milliseconds. @default 60000 */
  timeoutMs?: number;
  /** Aborts every call (the engine's signal). */
  signal?: AbortSignal;
}

/** RegistryError is a failed registry call; `reason` classifies it and the message names the fix. */
export class RegistryError extends Error {
  constructor(readonly reason: Reason, message: string, readonly status?: number) {
    super(message);
    this.name = "RegistryError";
  }
}

/** Scope is the access a call needs on a repository. */
export type Scope = "pull" | "pull,push";

/** SendOptions describe one registry call. */
export interface SendOptions {
  method: "GET" | "HEAD" | "POST" | "PUT";
  /** A path (`/v2/...`) or an absolute URL on the same registry. */
  url: string;
  repository: string;
  scope: Scope;
  headers?: Record<string, string>;
  /** A buffer, or a factory of fresh streams (a retry needs a second one). */
  body?: Buffer | (() => Readable);
  /** Status codes that count as success. */
  expect: number[];
  /** Follow redirects (blob downloads from storage back ends). @default false */
  followRedirects?: boolean;
}

/** UNTRUSTED_TLS are Node's codes for a server certificate it does not trust. */
const UNTRUSTED_TLS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** RegistryTransport sends authenticated requests to one registry. Call close() when done. */
export class RegistryTransport {
  readonly host: string;
  readonly base: string;
  readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly creds: Credentials | undefined;
  private basic = false;
  private readonly tokens = new Map<string, { header: string; expires: number }>();

  constructor(private readonly opts: RegistryClientOptions) {
    this.host = opts.host;
    this.base = registryBaseUrl(opts.host, opts.insecure);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.creds = credentialsFor(opts.host, opts.auth);
    this.agent = new Agent({
      connect: { ca: opts.tls?.caCert, cert: opts.tls?.cert, key: opts.tls?.key, timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** close releases the connections. */
  close(): Promise<void> {
    return this.agent.close();
  }

  /** send performs one call, answering an auth challenge once; the body of the result is unread. */
  async send(o: SendOptions): Promise<Dispatcher.ResponseData> {
    const signal = this.callSignal();
    let url = new URL(o.url, this.base);
    let authorized = true;
    let retried = false;
    for (let hops = 0; ; hops++) {
      const headers: Record<string, string> = { "user-agent": "fluxiac", ...o.headers };
      const auth = authorized ? this.authHeader(o.repository, o.scope) : undefined;
      if (auth) headers.authorization = auth;
      const body = typeof o.body === "function" ? o.body() : o.body;
      const res = await this.call(url, { method: o.method, headers, body, signal });
      if (o.followRedirects && [301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location && hops < 5) {
        await res.body.dump();
        url = new URL(String(res.headers.location), url);
        // Credentials stay with the registry; a storage back end gets a pre-signed URL.
        authorized = url.origin === new URL(this.base).origin;
        continue;
      }
      if (res.statusCode === 401 && authorized && !retried) {
        const challenge = parseChallenge(String(res.headers["www-authenticate"] ?? ""));
        await res.body.dump();
        await this.answer(challenge, o.repository, o.scope, signal);
        retried = true;
        continue;
      }
      if (o.expect.includes(res.statusCode)) return res;
      throw await this.statusError(res, o, retried);
    }
  }

  private callSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
  }

  /** call is one HTTP exchange, with transport failures turned into RegistryErrors that name the fix. */
  private async call(url: URL, o: { method: string; headers: Record<string, string>; body?: Buffer | Readable; signal: AbortSignal }) {
    try {
      return await request(url, { method: o.method as Dispatcher.HttpMethod, headers: o.headers, body: o.body, signal: o.signal, dispatcher: this.agent });
    } catch (err) {
      throw this.transportError(err, o.signal);
    }
  }

  /** transportError explains a failure below HTTP: timeout, refused connection, TLS. */
  transportError(err: unknown, signal?: AbortSignal): RegistryError {
    const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const code = e.cause?.code ?? e.code ?? "";
    const text = `${e.message ?? ""} ${e.cause?.message ?? ""}`;
    const seconds = `${Math.round(this.timeoutMs / 100) / 10}s`;
    if (this.opts.signal?.aborted) return new RegistryError("OCIOperationFailed", `the call to ${this.host} was cancelled`);
    if (signal?.aborted || /TIMEOUT/.test(code)) {
      return new RegistryError("OCIOperationFailed", `${this.host} did not answer within timeout ${seconds}: check the url, or raise timeout`);
    }
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG" || /wrong version number|packet length too long/i.test(text)) {
      return new RegistryError("OCIOperationFailed", `${this.host} does not speak HTTPS; if the registry serves plain HTTP, set insecure: true`);
    }
    if (UNTRUSTED_TLS.has(code) || /certificate/i.test(text)) {
      return new RegistryError("AuthenticationFailed", `the TLS certificate of ${this.host} is not trusted (${code || text.trim()}): set tls.caCert to the CA that signed it`);
    }
    if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "UND_ERR_SOCKET"].includes(code)) {
      return new RegistryError("OCIOperationFailed", `${this.host} is unreachable (${code}): check the url`);
    }
    return new RegistryError("OCIOperationFailed", `request to ${this.host} failed: ${text.trim() || code}`);
  }

  private authHeader(repository: string, scope: Scope): string | undefined {
    if (this.basic && this.creds) return basicHeader(this.creds);
    const token = this.tokens.get(`${repository}:${scope}`);
    return token && token.expires > Date.now() ? token.header : undefined;
  }

  /** answer reacts to a 401 challenge: Basic credentials, or a bearer token from the realm. */
  private async answer(challenge: Challenge | undefined, repository: string, scope: Scope, signal: AbortSignal): Promise<void> {
    if (challenge?.scheme === "basic") {
      if (!this.creds) throw new RegistryError("AuthenticationFailed", `${this.host} requires credentials: set auth (username/password or dockerConfigJson)`, 401);
      this.basic = true;
      return;
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm) {
      throw new RegistryError("AuthenticationFailed", `${this.host} asked for authentication fluxiac does not support (${challenge?.scheme ?? "no challenge"})`, 401);
    }
    const realm = new URL(challenge.params.realm);
    if (realm.protocol !== "https:" && !(realm.protocol === "http:" && this.opts.insecure)) {
      throw new RegistryError("AuthenticationFailed", `the token service of ${this.host} (${realm.origin}) is not HTTPS; set insecure: true only if you trust that network`);
    }
    // Ask for what the call needs (pull,push for a push), not only what the challenge names (pull for HEAD).
    const wanted = `repository:${repository}:${scope}`;
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    for (const s of wanted.split(" ")) realm.searchParams.append("scope", s);
    const headers: Record<string, string> = { "user-agent": "fluxiac" };
    if (this.creds) headers.authorization = basicHeader(this.creds);
    const res = await this.call(realm, { method: "GET", headers, signal });
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryError("AuthenticationFailed", `authentication to ${this.host} failed: the token service rejected the credentials; check auth`, res.statusCode);
    }
    if (res.statusCode !== 200) throw new RegistryError("AuthenticationFailed", `the token service of ${this.host} answered HTTP ${res.statusCode}`, res.statusCode);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text);
    } catch {
      throw new RegistryError("AuthenticationFailed", `the token service of ${this.host} answered something that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError("AuthenticationFailed", `the token service of ${this.host} returned no token`);
    const lifetime = Math.max(30, body.expires_in ?? 60) * 1000;
    this.tokens.set(`${repository}:${scope}`, { header: `Bearer ${token}`, expires: Date.now() + lifetime - 10_000 });
  }

  private async statusError(res: Dispatcher.ResponseData, o: SendOptions, retried: boolean): Promise<RegistryError> {
    const text = o.method === "HEAD" ? "" : await res.body.text().catch(() => "");
    if (o.method === "HEAD") await res.body.dump().catch(() => {});
    const what = `${o.method} ${new URL(o.url, this.base).pathname}`;
    if (res.statusCode === 400 && /HTTP request to an HTTPS server/i.test(text)) {
      return new RegistryError("OCIOperationFailed", `${this.host} serves HTTPS: unset insecure`, 400);
    }
    if (res.statusCode === 401) {
      const message = this.creds || retried
        ? `authentication to ${this.host} failed: check the credentials in auth`
        : `${this.host} requires credentials: set auth (username/password or dockerConfigJson)`;
      return new RegistryError("AuthenticationFailed", message, 401);
    }
    if (res.statusCode === 403) return new RegistryError("AuthenticationFailed", `${this.host} denied ${what}: the credentials in auth lack access to ${o.repository}`, 403);
    const detail = registryErrorText(text);
    const reason: Reason = res.statusCode === 404 ? "RefNotFound" : "OCIOperationFailed";
    return new RegistryError(reason, `${this.host} answered HTTP ${res.statusCode} to ${what}${detail ? `: ${detail}` : ""}`, res.statusCode);
  }
}

/** registryErrorText reads the distribution error body (`{"errors":[{"code","message"}]}`), briefly. */
export function registryErrorText(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    return (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(" ")).join("; ").slice(0, 300);
  } catch {
    return text.trim().split("\n")[0]?.slice(0, 200) ?? "";
  }
}
