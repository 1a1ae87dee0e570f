// A throwaway OCI registry for the OCIRepository tests: the real Distribution registry (Debian's
// docker-registry, 2.8) with filesystem storage in a temp dir, on a free loopback port, anonymous or
// with htpasswd (bcrypt) or token authentication, over plain HTTP or TLS. Token mode runs a small token
// server here that checks Basic credentials and signs ES256 JWTs with a certificate the registry trusts.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Socket } from "node:net";
import { join } from "node:path";
import { Agent, request } from "undici";
import { freePorts, makeTestCa, type TestCa } from "./pki";
import { tool } from "./tools";

/** OCIRegistryOptions choose the registry's transport and authentication. */
export interface OCIRegistryOptions {
  /** Parent directory for the registry's temp dir (the test file's scratch dir). */
  parent: string;
  /** Serve HTTPS with a certificate from a fresh test CA. @default false (plain HTTP) */
  tls?: boolean;
  /** "none" (anonymous), "htpasswd" (Basic, bcrypt) or "token" (bearer tokens from a token server). @default "none" */
  auth?: "none" | "htpasswd" | "token";
}

/** OCIRegistry is a running registry. Call stop() when done. */
export interface OCIRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** url is `oci://<host>/<repository>`. */
  url(repository: string): string;
  /** insecure is true when the registry serves plain HTTP. */
  insecure: boolean;
  /** caPem is the CA of the serving certificate (TLS only). */
  caPem?: string;
  /** The accepted user and password (htpasswd and token modes). */
  username: string;
  password: string;
  /** tokensIssued counts the tokens the token server signed (token mode). */
  tokensIssued(): number;
  stop(): Promise<void>;
}

const ISSUER = "fluxiac-test-token-issuer";
const SERVICE = "fluxiac-test-registry";

/** registryBinary is docker-registry from the tool cache, or Debian's until tools.json lists it. */
function registryBinary(): string {
  try {
    return tool("docker-registry");
  } catch (err) {
    if (existsSync("/usr/bin/docker-registry")) return "/usr/bin/docker-registry";
    throw err;
  }
}

/** bcrypt hashes a password with the C library's crypt ($2b$, via perl), the password in the environment. */
function bcrypt(password: string): Promise<string> {
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const salt = [...randomBytes(22)].map((b) => alphabet[b % 64]).join("");
  return new Promise((resolve, reject) => {
    execFile("perl", ["-e", "print crypt($ENV{PW}, $ENV{SALT})"], { env: { PW: password, SALT: `$2b$05$${salt}` } }, (err, out) => {
      if (err || !out.startsWith("$2b$")) reject(new Error(`bcrypt via perl crypt failed: ${err?.message ?? out}`));
      else resolve(out);
    });
  });
}

/** startOCIRegistry starts docker-registry (and a token server in token mode) and waits until it answers. */
export async function startOCIRegistry(opts: OCIRegistryOptions): Promise<OCIRegistry> {
  const dir = await mkdtemp(join(opts.parent, "registry-"));
  const procs: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => p.kill("SIGKILL"), 3000);
          p.once("exit", () => (clearTimeout(t), resolve()));
          p.kill("SIGTERM");
        });
      }
    }
    for (const close of closers) await close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [port, tokenPort] = await freePorts(2);
    const username = "fluxiac";
    const password = randomBytes(12).toString("hex");
    const ca = opts.tls || opts.auth === "token" ? await makeTestCa(await mkdtemp(join(dir, "pki-"))) : undefined;
    const lines = [
      "version: 0.1",
      "log:\n  level: error\n  accesslog:\n    disabled: true",
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true`,
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString("hex")}`,
      "health:\n  storagedriver:\n    enabled: false",
    ];
    if (opts.tls) {
      const cert = await ca!.issue("registry", "server");
      lines[3] += `\n  tls:\n    certificate: ${cert.certFile}\n    key: ${cert.keyFile}`;
    }
    let issued = 0;
    if (opts.auth === "htpasswd") {
      await writeFile(join(dir, "htpasswd"), `${username}:${await bcrypt(password)}\n`);
      lines.push(`auth:\n  htpasswd:\n    realm: fluxiac-test\n    path: ${join(dir, "htpasswd")}`);
    } else if (opts.auth === "token") {
      const realm = await startTokenServer({ ca: ca!, port: tokenPort, tls: !!opts.tls, username, password, onIssue: () => issued++, closers });
      lines.push(`auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${ca!.caCert}`);
    }
    const config = join(dir, "config.yml");
    await writeFile(config, `${lines.join("\n")}\n`);
    await mkdir(join(dir, "data"));
    const proc = spawn(registryBinary(), ["serve", config], { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    procs.push(proc);
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const scheme = opts.tls ? "https" : "http";
    await waitForRegistry(`${scheme}://127.0.0.1:${port}/v2/`, ca?.caPem, proc, () => stderr);
    const host = `127.0.0.1:${port}`;
    return {
      host,
      url: (repository) => `oci://${host}/${repository}`,
      insecure: !opts.tls,
      caPem: opts.tls ? ca!.caPem : undefined,
      username,
      password,
      tokensIssued: () => issued,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForRegistry(url: string, caPem: string | undefined, proc: ChildProcess, stderr: () => string): Promise<void> {
  const agent = new Agent({ connect: { ca: caPem } });
  try {
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${stderr()}`);
      try {
        const res = await request(url, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200 || res.statusCode === 401) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`docker-registry did not answer at ${url}: ${stderr()}`);
  } finally {
    await agent.close();
  }
}

/**
 * startTokenServer serves GET /token?service=&scope=: valid Basic credentials get a JWT granting the
 * requested actions, signed with a key whose certificate (issued by `ca`, which the registry trusts) is
 * in the `x5c` header. Returns the realm URL.
 */
async function startTokenServer(o: { ca: TestCa; port: number; tls: boolean; username: string; password: string; onIssue: () => void; closers: (() => Promise<void>)[] }): Promise<string> {
  const signer = await o.ca.issue("token-signer", "client");
  const key = createPrivateKey(signer.keyPem);
  const x5c = [new X509Certificate(signer.certPem).raw.toString("base64")];
  const expected = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString("base64")}`;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://token");
    if (url.pathname !== "/token" || req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"details":"invalid credentials"}');
      return;
    }
    const access = url.searchParams.getAll("scope").map((s) => {
      const [type, name, actions] = s.split(":");
      return { type, name, actions: (actions ?? "").split(",").filter(Boolean) };
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: o.username, aud: url.searchParams.get("service"), exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access };
    const input = `${b64({ typ: "JWT", alg: "ES256", x5c })}.${b64(claims)}`;
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
    o.onIssue();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `${input}.${signature}`, expires_in: 300 }));
  };
  const serving = o.tls ? await o.ca.issue("token-server", "server") : undefined;
  const server = serving ? createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(o.port, "127.0.0.1", () => resolve()));
  o.closers.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `${o.tls ? "https" : "http"}://127.0.0.1:${o.port}/token`;
}

/** Blackhole is a TCP listener that accepts connections and never answers. */
export interface Blackhole {
  host: string;
  stop(): Promise<void>;
}

/** startBlackhole listens on a free loopback port, accepts every connection and says nothing. */
export async function startBlackhole(): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("blackhole has no port");
  return {
    host: `127.0.0.1:${addr.port}`,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
