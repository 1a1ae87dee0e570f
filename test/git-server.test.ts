// The git-server fixture, checked with the real git CLI over file://, smart HTTP and SSH.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startGitServer, type GitRepo, type GitServer } from "./harness/git-server.js";
import { tool } from "./harness/tools.js";

let server: GitServer;
let repo: GitRepo;
let first: string;
let scratch: string;
const logs: string[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** git runs the git CLI with no user/system config and no prompts; it never rejects on exit codes. */
function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  Object.assign(env, {
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    ...opts.env,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(tool("git"), args, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

function sshCommand(knownHostsFile: string): string {
  return [
    "ssh",
    `-i ${server.sshIdentityFile}`,
    `-o UserKnownHostsFile=${knownHostsFile}`,
    "-o GlobalKnownHostsFile=/dev/null",
    "-o StrictHostKeyChecking=yes",
    "-o IdentitiesOnly=yes",
    "-o BatchMode=yes",
  ].join(" ");
}

/** refs parses `git ls-remote` output into ref -> sha. */
function refs(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.trim().split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref) m.set(ref, sha);
  }
  return m;
}

function withCreds(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.href;
}

before(async () => {
  server = await startGitServer({ log: (l) => logs.push(l) });
  scratch = await mkdtemp(join(tmpdir(), "fluxiac-git-client-"));
  repo = await server.createRepo("demo");
  first = await repo.commit({ "README.md": "# demo\n", "deploy/app.yaml": "kind: ConfigMap\n" }, { message: "initial" });
});

after(async () => {
  const root = server?.root;
  await server?.stop();
  await server?.stop(); // idempotent
  await rm(scratch, { recursive: true, force: true });
  if (root) assert.equal(existsSync(root), false, "stop() removes the temp dir");
});

test("fixture shape", async () => {
  assert.match(first, /^[0-9a-f]{40}$/);
  assert.equal(await repo.head(), first);
  assert.equal(repo.path, join(server.root, "repos", "demo.git"));
  assert.equal(repo.fileUrl, `file://${repo.path}`);
  assert.equal(repo.httpUrl, `${server.httpBase}/demo.git`);
  assert.equal(repo.sshUrl, `${server.sshBase}${repo.path}`);
  assert.match(server.httpBase, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(server.sshBase, /^ssh:\/\/[^@]+@127\.0\.0\.1:\d+$/);
  const port = new URL(server.sshBase).port;
  assert.match(server.knownHosts, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`));
  assert.match(server.sshIdentity, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+-----END OPENSSH PRIVATE KEY-----\n$/);
  const head = ok(await git(["--git-dir", repo.path, "symbolic-ref", "HEAD"]), "symbolic-ref");
  assert.equal(head.trim(), "refs/heads/main");
  const author = ok(await git(["--git-dir", repo.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>", first]), "log");
  assert.equal(author.trim(), "fluxiac-test <test@fluxiac.dev>|fluxiac-test <test@fluxiac.dev>");
});

test("ls-remote over file://", async () => {
  const r = refs(ok(await git(["ls-remote", repo.fileUrl]), "ls-remote file"));
  assert.equal(r.get("refs/heads/main"), first);
  assert.equal(r.get("HEAD"), first);
});

test("ls-remote over HTTP with credentials in the URL, protocol v2", async () => {
  const res = await git(["-c", "protocol.version=2", "ls-remote", withCreds(repo.httpUrl, server.httpUser, server.httpPassword)], {
    env: { GIT_TRACE_PACKET: "1" },
  });
  const r = refs(ok(res, "ls-remote http"));
  assert.equal(r.get("refs/heads/main"), first);
  assert.match(res.stderr, /< version 2/, "the server spoke protocol v2 (Git-Protocol header reached http-backend)");
});

test("ls-remote over SSH, protocol v2", async () => {
  const res = await git(["-c", "protocol.version=2", "ls-remote", repo.sshUrl], {
    env: { GIT_SSH_COMMAND: sshCommand(server.knownHostsFile), GIT_TRACE_PACKET: "1" },
  });
  const r = refs(ok(res, "ls-remote ssh"));
  assert.equal(r.get("refs/heads/main"), first);
  assert.match(res.stderr, /< version 2/, "the server spoke protocol v2 (GIT_PROTOCOL accepted by sshd)");
});

test("SSH with the identity written from sshIdentity and knownHosts", async () => {
  const key = join(scratch, "id_ed25519");
  const kh = join(scratch, "known_hosts_copy");
  await writeFile(key, server.sshIdentity, { mode: 0o600 });
  await writeFile(kh, server.knownHosts + "\n");
  const cmd = `ssh -i ${key} -o UserKnownHostsFile=${kh} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes`;
  const dest = join(scratch, "ssh-clone");
  ok(await git(["clone", "-q", repo.sshUrl, dest], { env: { GIT_SSH_COMMAND: cmd } }), "clone ssh");
  assert.equal(ok(await git(["-C", dest, "rev-parse", "HEAD"]), "rev-parse").trim(), first);
});

test("HTTP without credentials gets 401 with a Basic challenge", async () => {
  const res = await new Promise<{ status: number; auth: string | undefined }>((resolve, reject) => {
    const req = request(`${repo.httpUrl}/info/refs?service=git-upload-pack`, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, auth: res.headers["www-authenticate"] });
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(res.status, 401);
  assert.equal(res.auth, 'Basic realm="fluxiac"');
});

test("clone over HTTP with a wrong password fails", async () => {
  const res = await git(["clone", "-q", withCreds(repo.httpUrl, server.httpUser, "wrong-password"), join(scratch, "bad-clone")]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /401|Authentication failed/i);
});

test("SSH with an empty known_hosts fails host key verification", async () => {
  const empty = join(scratch, "known_hosts_empty");
  await writeFile(empty, "");
  const res = await git(["ls-remote", repo.sshUrl], { env: { GIT_SSH_COMMAND: sshCommand(empty) } });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /Host key verification failed/);
});

test("push over HTTP (credential helper, chunked body) is seen by head()", async () => {
  const dest = join(scratch, "http-clone");
  const helper = `!f() { echo username=${server.httpUser}; echo password=${server.httpPassword}; }; f`;
  const cfg = ["-c", "credential.helper=", "-c", `credential.helper=${helper}`];
  ok(await git([...cfg, "clone", "-q", repo.httpUrl, dest]), "clone http");
  assert.equal(ok(await git(["-C", dest, "rev-parse", "HEAD"]), "rev-parse").trim(), first);
  // An incompressible blob larger than http.postBuffer makes git send a chunked request body.
  await writeFile(join(dest, "blob.bin"), randomBytes(256 * 1024));
  await writeFile(join(dest, "README.md"), "# demo, pushed over HTTP\n");
  ok(await git(["-C", dest, "add", "-A"]), "add");
  const id = ["-c", "user.name=pusher", "-c", "user.email=pusher@example.com"];
  ok(await git([...id, "-C", dest, "commit", "-q", "-m", "pushed over http"]), "commit");
  const pushed = ok(await git(["-C", dest, "rev-parse", "HEAD"]), "rev-parse").trim();
  const push = await git([...cfg, "-c", "http.postBuffer=65536", "-C", dest, "push", "-q", "origin", "main"], {
    env: { GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" },
  });
  ok(push, "push http");
  assert.match(push.stderr, /Transfer-Encoding: chunked/i, "the push body was chunked");
  assert.equal(await repo.head(), pushed);

  // The fixture's own commit() builds on what was pushed.
  const next = await repo.commit({ "blob.bin": null, "deploy/app.yaml": "kind: Secret\n" });
  assert.equal(ok(await git(["--git-dir", repo.path, "rev-parse", `${next}^`]), "parent").trim(), pushed);
  const tree = ok(await git(["--git-dir", repo.path, "ls-tree", "-r", "--name-only", next]), "ls-tree");
  assert.deepEqual(tree.trim().split("\n").sort(), ["README.md", "deploy/app.yaml"]);
  const content = ok(await git(["--git-dir", repo.path, "show", `${next}:deploy/app.yaml`]), "show");
  assert.equal(content, "kind: Secret\n");
});

test("commit() on a new branch, from main", async () => {
  const main = await repo.head();
  const dev = await repo.commit({ "dev.txt": "dev\n" }, { branch: "dev", message: "on dev" });
  assert.equal(await repo.head("dev"), dev);
  assert.equal(await repo.head(), main, "main is untouched");
  assert.equal(ok(await git(["--git-dir", repo.path, "rev-parse", `${dev}^`]), "parent").trim(), main);
  await assert.rejects(repo.head("nope"), /no branch nope/);
});

test("tag() creates lightweight and annotated tags visible to ls-remote", async () => {
  await repo.tag("v1.0.0", { commit: first });
  await repo.tag("v1.1.0", { annotated: true });
  const main = await repo.head();
  const r = refs(ok(await git(["ls-remote", "--tags", withCreds(repo.httpUrl, server.httpUser, server.httpPassword)]), "ls-remote tags"));
  assert.equal(r.get("refs/tags/v1.0.0"), first);
  const annotated = r.get("refs/tags/v1.1.0");
  assert.ok(annotated && annotated !== main, "an annotated tag is a tag object");
  assert.equal(r.get("refs/tags/v1.1.0^{}"), main);
  const type = ok(await git(["--git-dir", repo.path, "cat-file", "-t", "v1.1.0"]), "cat-file");
  assert.equal(type.trim(), "tag");
});

test("gzip-encoded upload-pack request over HTTP", async () => {
  const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, "0") + s;
  const body = gzipSync(Buffer.from(pkt(`want ${first}\n`) + "0000" + pkt("done\n")));
  const auth = "Basic " + Buffer.from(`${server.httpUser}:${server.httpPassword}`).toString("base64");
  const res = await new Promise<{ status: number; type: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = request(
      `${repo.httpUrl}/git-upload-pack`,
      {
        method: "POST",
        headers: {
          Authorization: auth,
          "Content-Type": "application/x-git-upload-pack-request",
          "Content-Encoding": "gzip",
          "Content-Length": String(body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  assert.equal(res.status, 200, res.body.toString("latin1"));
  assert.equal(res.type, "application/x-git-upload-pack-result");
  assert.ok(res.body.subarray(0, 8).toString("latin1") === "0008NAK\n", `starts with NAK: ${res.body.subarray(0, 16).toString("latin1")}`);
  assert.ok(res.body.includes(Buffer.from("PACK")), "carries a pack");
});

test("git's own gzip-encoded fetch request over HTTP (many wants)", async () => {
  const dest = join(scratch, "gzip-clone");
  const url = withCreds(repo.httpUrl, server.httpUser, server.httpPassword);
  ok(await git(["clone", "-q", "--no-tags", url, dest]), "clone");
  // 30 annotated tags are 30 new objects to want: a request body over 1 KiB, which git gzips.
  for (let i = 0; i < 30; i++) await repo.tag(`gz-${i}`, { annotated: true });
  for (const v of ["0", "2"]) {
    const res = await git(["-C", dest, "-c", `protocol.version=${v}`, "fetch", "--tags", "origin"], {
      env: { GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" },
    });
    ok(res, `fetch v${v}`);
    assert.match(res.stderr, /Content-Encoding: gzip/i, `protocol v${v}: git sent a gzip body`);
    const tags = ok(await git(["-C", dest, "tag", "-l", "gz-*"]), "tag -l");
    assert.equal(tags.trim().split("\n").length, 30);
    ok(await git(["-C", dest, "tag", "-d", ...Array.from({ length: 30 }, (_, i) => `gz-${i}`)]), "tag -d");
    ok(await git(["-C", dest, "gc", "-q", "--prune=now"]), "gc");
  }
});

test("http-backend 404 for an unknown repo", async () => {
  const res = await git(["ls-remote", withCreds(`${server.httpBase}/missing.git`, server.httpUser, server.httpPassword)]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /not found|404/i);
});
