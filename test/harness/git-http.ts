// The Git fixture's smart-HTTP side: `git http-backend` as a CGI behind Node's http/https servers, and
// the request log that lets tests count ls-remotes and fetches.
import { spawn, type ChildProcess } from "node:child_process";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { tool } from "./tools.js";

/** GitRequest is one logged HTTP(S) request of a GitServer. */
export interface GitRequest {
  scheme: "http" | "https";
  method: string;
  /** The URL path, e.g. `/fleet.git/git-upload-pack`. */
  path: string;
  /** Whether the credentials were accepted. */
  authorised: boolean;
  /** The upload-pack command of a POST (`ls-refs`, `fetch`), once its body has been read. */
  command?: string;
  /** The CN of the client certificate the HTTPS server verified, if any. */
  clientCert?: string;
}

/** listen starts srv on a free port of 127.0.0.1, unref'd, and returns the port. */
export async function listen(srv: Server): Promise<number> {
  await new Promise<void>((r, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => r());
  });
  srv.unref();
  const addr = srv.address();
  if (!addr || typeof addr !== "object") throw new Error("server has no address");
  return addr.port;
}

/** recordCommand reads the upload-pack command (`command=ls-refs|fetch`) from a request body as it streams by. */
export function recordCommand(req: IncomingMessage, entry: GitRequest): void {
  const chunks: Buffer[] = [];
  req.on("data", (d: Buffer) => chunks.push(d));
  req.on("end", () => {
    let body = Buffer.concat(chunks);
    try {
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    } catch {
      // an undecodable body is logged without a command
      return;
    }
    entry.command = /command=([a-z-]+)/.exec(body.toString("latin1"))?.[1] ?? "fetch";
  });
}

/** serveCgi runs `git http-backend` as a CGI script for one authorised request. */
export function serveCgi(
  req: IncomingMessage,
  res: ServerResponse,
  user: string,
  baseEnv: NodeJS.ProcessEnv,
  cgis: Set<ChildProcess>,
  log: (line: string) => void,
): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  let pathInfo: string;
  try {
    pathInfo = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400, { "Content-Type": "text/plain" }).end("bad path\n");
    req.resume();
    return;
  }
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    SERVER_SOFTWARE: "fluxiac-git-server",
    REQUEST_METHOD: req.method ?? "GET",
    SCRIPT_NAME: "",
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REMOTE_USER: user,
    AUTH_TYPE: "Basic",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
  };
  const h = req.headers;
  if (h["content-type"]) env.CONTENT_TYPE = h["content-type"];
  // Node de-chunks a chunked body; http-backend then reads stdin to EOF when CONTENT_LENGTH is unset.
  if (h["content-length"] !== undefined && h["transfer-encoding"] === undefined) env.CONTENT_LENGTH = h["content-length"];
  if (h["content-encoding"]) env.HTTP_CONTENT_ENCODING = h["content-encoding"];
  const gitProtocol = h["git-protocol"];
  if (typeof gitProtocol === "string") env.GIT_PROTOCOL = gitProtocol;

  const child = spawn(tool("git-http-backend"), [], { env, stdio: ["pipe", "pipe", "pipe"] });
  cgis.add(child);
  child.on("close", () => cgis.delete(child));
  child.stdin!.on("error", () => {}); // EPIPE when the backend answers before reading the body
  req.pipe(child.stdin!);
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    for (const line of d.split("\n")) if (line.trim()) log(`http-backend: ${line}`);
  });

  let head = Buffer.alloc(0);
  let headersDone = false;
  const fail = (msg: string) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" }).end(msg + "\n");
    else res.destroy();
  };
  child.on("error", (err) => fail(`git http-backend: ${err.message}`));

  const stdout = child.stdout!;
  const onData = (chunk: Buffer) => {
    if (headersDone) return;
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf("\r\n\r\n");
    let sepLen = 4;
    const lf = head.indexOf("\n\n");
    if (lf >= 0 && (end < 0 || lf < end)) {
      end = lf;
      sepLen = 2;
    }
    if (end < 0) {
      if (head.length > 64 * 1024) {
        child.kill("SIGKILL");
        fail("git http-backend: CGI headers too long");
      }
      return;
    }
    headersDone = true;
    stdout.removeListener("data", onData);
    stdout.pause();
    let status = 200;
    let statusMessage: string | undefined;
    const headers: Record<string, string | string[]> = {};
    for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i <= 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === "status") {
        const m = /^(\d{3})\s*(.*)$/.exec(value);
        if (m) {
          status = Number(m[1]);
          statusMessage = m[2] || undefined;
        }
        continue;
      }
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    if (status >= 400) log(`http: ${req.method} ${req.url} -> ${status} ${statusMessage ?? ""}`);
    if (statusMessage) res.writeHead(status, statusMessage, headers);
    else res.writeHead(status, headers);
    const rest = head.subarray(end + sepLen);
    if (rest.length) res.write(rest);
    stdout.pipe(res);
  };
  stdout.on("data", onData);
  stdout.on("end", () => {
    if (!headersDone) fail("git http-backend: no CGI headers");
  });
  res.on("close", () => {
    if (child.exitCode === null && child.signalCode === null && !res.writableFinished) child.kill("SIGKILL");
  });
}
