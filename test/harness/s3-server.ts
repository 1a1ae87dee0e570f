// A throwaway S3 server for the Bucket source's tests: the real versitygw gateway with its posix backend in
// a fresh temp dir, one root access/secret key (real SigV4 checks), on a free 127.0.0.1 port, over plain
// HTTP or TLS (a certificate from the test PKI). Its access log shows every S3 operation it served.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort, makeTestCa } from "./pki";
import { tool } from "./tools";

/** S3Request is one operation from the server's access log. */
export interface S3Request {
  /** S3 operation name, e.g. "GetObject", "ListObjectsV2". */
  operation: string;
  bucket: string;
  /** Object key, or undefined for bucket operations. */
  key?: string;
  status: number;
}

/** S3Server is a running versitygw from startS3Server. Call stop() when done. */
export interface S3Server {
  /** endpoint is `127.0.0.1:<port>`, Flux's endpoint form (no scheme). */
  endpoint: string;
  /** url is `http://127.0.0.1:<port>` or `https://…` in TLS mode. */
  url: string;
  /** region is the only region the server accepts in signatures. */
  region: string;
  accessKey: string;
  secretKey: string;
  /** caPem is the CA that signed the server's certificate (TLS mode only). */
  caPem?: string;
  /**
   * dataDir is the posix backend's root: object `k` of bucket `b` is the file `<dataDir>/b/k`. Rewriting
   * that file in place keeps the object's ETag and checksum (extended attributes).
   */
  dataDir: string;
  createBucket(name: string): Promise<void>;
  /** allowPublicRead lets anonymous clients list the bucket and read its objects (a bucket policy). */
  allowPublicRead(bucket: string): Promise<void>;
  /** put writes an object and returns its ETag as the server reports it (with quotes). */
  put(bucket: string, key: string, body: string | Buffer): Promise<string>;
  remove(bucket: string, key: string): Promise<void>;
  /** list returns every object of a bucket with its ETag as the server reports it. */
  list(bucket: string, prefix?: string): Promise<{ key: string; etag: string }[]>;
  /** requests returns the operations the server logged so far, oldest first. */
  requests(): Promise<S3Request[]>;
  /** stop ends the server and removes its temp dir; calling it again is a no-op. */
  stop(): Promise<void>;
}

const REGION = "us-east-1";

/** waitForPort resolves once 127.0.0.1:port accepts connections, or rejects when the process exits first. */
async function waitForPort(port: number, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`versitygw exited with ${proc.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`versitygw did not listen on 127.0.0.1:${port} within 20s:\n${output()}`);
}

/** parseAccessLog reads versitygw's S3 access log lines (`- <bucket> [<time>] <ip> - <id> s3_<Op> <key> <uri> <status> …`). */
export function parseAccessLog(text: string): S3Request[] {
  const out: S3Request[] = [];
  for (const line of text.split("\n")) {
    const m = /^\S+ (\S+) \[[^\]]*\] \S+ \S+ \S+ s3_(\w+) (\S+) \S+ (\d{3}) /.exec(line);
    if (m) out.push({ bucket: m[1], operation: m[2], key: m[3] === "-" ? undefined : m[3], status: Number(m[4]) });
  }
  return out;
}

/** startS3Server starts versitygw (posix backend) in a temp dir under `parent` (default: the OS temp dir). */
export async function startS3Server(opts: { tls?: boolean; parent?: string } = {}): Promise<S3Server> {
  const root = await mkdtemp(join(opts.parent ?? tmpdir(), "fluxiac-s3-"));
  const dataDir = join(root, "data");
  const accessLog = join(root, "access.log");
  const accessKey = `AK${randomBytes(8).toString("hex").toUpperCase()}`;
  const secretKey = randomBytes(24).toString("base64url");
  let proc: ChildProcess | undefined;
  let client: S3Client | undefined;
  try {
    await mkdir(dataDir);
    const port = await freePort();
    const args = ["--port", `127.0.0.1:${port}`, "--access-log", accessLog, "--quiet"];
    let caPem: string | undefined;
    if (opts.tls) {
      const ca = await makeTestCa(root);
      const cert = await ca.issue("s3", "server");
      args.push("--cert", cert.certFile, "--key", cert.keyFile);
      caPem = ca.caPem;
    }
    args.push("posix", dataDir);
    let output = "";
    // Credentials go through the environment, never argv.
    proc = spawn(tool("versitygw"), args, {
      env: { PATH: process.env.PATH, ROOT_ACCESS_KEY_ID: accessKey, ROOT_SECRET_ACCESS_KEY: secretKey, VGW_REGION: REGION },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout?.on("data", (d) => (output += d));
    proc.stderr?.on("data", (d) => (output += d));
    await waitForPort(port, proc, () => output);
    const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
    client = new S3Client({
      endpoint: url,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
      ...(caPem ? { requestHandler: { httpsAgent: new HttpsAgent({ ca: caPem }) } } : {}),
    });
    const s3 = client;
    const running = proc;
    let stopped = false;
    return {
      endpoint: `127.0.0.1:${port}`,
      url,
      region: REGION,
      accessKey,
      secretKey,
      caPem,
      dataDir,
      async createBucket(name) {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      },
      async allowPublicRead(bucket) {
        const statement = { Effect: "Allow", Principal: "*", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] };
        await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) }));
      },
      async put(bucket, key, body) {
        return (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag ?? "";
      },
      async remove(bucket, key) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      },
      async list(bucket, prefix) {
        const out: { key: string; etag: string }[] = [];
        let token: string | undefined;
        do {
          const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          for (const o of page.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag! });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return out;
      },
      async requests() {
        return parseAccessLog(await readFile(accessLog, "utf8").catch(() => ""));
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        s3.destroy();
        await stopProcess(running);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    client?.destroy();
    if (proc) await stopProcess(proc);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
