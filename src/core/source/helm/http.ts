// HTTP downloads of Helm indexes and charts (Helm's httpgetter): basic auth only towards the repository's
// own scheme, host and port unless passCredentials, TLS from the spec, a size cap and a timeout.
import { createHash } from "node:crypto";
import { Agent, fetch, type Dispatcher } from "undici";
import { parseDuration } from "../../duration";
import { FluxiacError, errorMessage, type ObjectRef } from "../../errors";
import type { HelmRepositorySpec } from "../helm-types";

/** Downloaded is a fetched body and the sha256 hex of its bytes. */
export interface Downloaded {
  data: Buffer;
  sha256: string;
}

/** HelmGetOptions say how much to accept and what the download is, for messages. */
export interface HelmGetOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** What is downloaded, e.g. `index.yaml`, `chart "podinfo" 6.1.0`. */
  what: string;
}

/** sameOrigin is Helm's rule for sending credentials: same scheme and same host:port. */
export function sameOrigin(a: string, b: string): boolean {
  const [ua, ub] = [new URL(a), new URL(b)];
  return ua.protocol === ub.protocol && ua.host === ub.host;
}

/** redactUrl drops user info, query and fragment from a URL for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * HelmGetter downloads from a HelmRepository: one TLS agent per reconcile, closed by `close`.
 * Every call is bounded by the spec's timeout (default 60s).
 */
export class HelmGetter {
  private readonly dispatcher?: Agent;
  private readonly timeoutMs: number;

  constructor(
    private readonly object: ObjectRef,
    private readonly spec: HelmRepositorySpec,
    private readonly signal?: AbortSignal,
  ) {
    this.timeoutMs = parseDuration(spec.timeout ?? "60s", "timeout");
    const tls = spec.tls;
    if (tls?.caCert || tls?.cert || tls?.key) {
      this.dispatcher = new Agent({ connect: { ca: tls.caCert, cert: tls.cert, key: tls.key } });
    }
  }

  /** get downloads a URL, sending the repository's credentials only where Helm would. */
  async get(url: string, opts: HelmGetOptions): Promise<Downloaded> {
    const headers: Record<string, string> = { "user-agent": "fluxiac" };
    const { username, password } = this.spec.auth ?? {};
    if (username && password && (this.spec.passCredentials || sameOrigin(this.spec.url, url))) {
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    const shown = redactUrl(url);
    try {
      const res = await fetch(url, { headers, signal, dispatcher: this.dispatcher as Dispatcher | undefined });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        const fix = headers.authorization
          ? "check the credentials in auth"
          : this.spec.auth && !sameOrigin(this.spec.url, url)
            ? "the URL is on another host than the repository; set passCredentials: true to send auth there"
            : "set auth to the repository's credentials";
        throw new FluxiacError(this.object, "AuthenticationFailed", `authentication failed fetching ${opts.what} from ${shown} (HTTP ${res.status}): ${fix}`);
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new FluxiacError(this.object, "FetchFailed", `fetching ${opts.what} from ${shown} failed: HTTP ${res.status}${res.status === 404 ? " (not found): check url" : ""}`);
      }
      const declared = Number(res.headers.get("content-length") ?? "0");
      if (declared > opts.maxBytes) {
        await res.body?.cancel();
        throw tooLarge(this.object, opts, shown);
      }
      // With a Content-Length the body goes straight into one buffer: large indexes are held once.
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let into = declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
      let size = 0;
      for await (const chunk of res.body ?? []) {
        const buf = chunk as Uint8Array;
        if (size + buf.length > opts.maxBytes) throw tooLarge(this.object, opts, shown);
        hash.update(buf);
        if (into && size + buf.length <= into.length) into.set(buf, size);
        else {
          if (into) chunks.push(into.subarray(0, size));
          into = undefined;
          chunks.push(Buffer.from(buf));
        }
        size += buf.length;
      }
      const data = into ? into.subarray(0, size) : Buffer.concat(chunks, size);
      return { data, sha256: hash.digest("hex") };
    } catch (err) {
      if (err instanceof FluxiacError) throw err;
      if (timeout.aborted) {
        throw new FluxiacError(this.object, "FetchFailed", `fetching ${opts.what} from ${shown} timed out after ${this.spec.timeout ?? "60s"}: check url, or raise timeout`);
      }
      throw new FluxiacError(this.object, "FetchFailed", `fetching ${opts.what} from ${shown} failed: ${describeNetworkError(err)}`);
    }
  }

  /** close releases the TLS agent. */
  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}

function tooLarge(object: ObjectRef, opts: HelmGetOptions, shown: string): FluxiacError {
  return new FluxiacError(object, "FetchFailed", `${opts.what} from ${shown} is larger than the ${opts.maxBytes / (1 << 20)} MiB limit`);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ERR_TLS|ALERT/;

/** describeNetworkError turns fetch's nested causes into one actionable phrase. */
function describeNetworkError(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  const code = (cause as { code?: string })?.code ?? "";
  if (TLS_CODES.test(code) || /certificate/i.test(errorMessage(cause))) {
    return `TLS verification failed (${code || errorMessage(cause)}): set tls.caCert to the CA that signed the server's certificate, or tls.cert/tls.key if it requires a client certificate`;
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ECONNRESET") {
    return `the server is unreachable (${code}): check url`;
  }
  return errorMessage(cause);
}
