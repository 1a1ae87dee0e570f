// A throwaway Git server for the GitRepository source's tests: bare repositories under a fresh
// temp dir, served over file://, smart HTTP and HTTPS (git http-backend behind Node http/https
// servers with basic or bearer auth; the HTTPS certificate comes from a throwaway CA) and SSH (a
// private, foreground OpenSSH sshd on a free port). Every HTTP(S) request is logged in `requests`.
import type { ChildProcess } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tool } from "./tools.js";
import { makeTestCa } from "./pki.js";
import type { GitSigner } from "./git-signing.js";
import { listen, recordCommand, serveCgi, type GitRequest } from "./git-http.js";
import { startSshd, type SshServer } from "./git-ssh.js";
import { must, run } from "./proc.js";

export type { GitRequest } from "./git-http.js";

/**
 * GitServer is a running fixture from startGitServer: bare repositories under `root`, served over
 * file://, smart HTTP and HTTPS (basic or bearer auth) and SSH (public-key auth). Call stop() when done.
 */
export interface GitServer extends Omit<SshServer, "proc"> {
  /** root is the fixture's temp dir; bare repos live in `${root}/repos/<name>.git`. */
  root: string;
  /** createRepo creates a bare repo `<name>.git` with branch `main` as HEAD and returns its handle. */
  createRepo(name: string): Promise<GitRepo>;
  /** httpBase is `http://127.0.0.1:<port>`: smart HTTP via git http-backend, basic auth required. */
  httpBase: string;
  /** httpUser is the basic-auth user name the HTTP server accepts. */
  httpUser: string;
  /** httpPassword is the (random) basic-auth password the HTTP server accepts. */
  httpPassword: string;
  /** bearerToken is the (random) token both HTTP servers accept as `Authorization: Bearer <token>`. */
  bearerToken: string;
  /** httpsBase is `https://127.0.0.1:<port>`: the same repos over TLS, basic or bearer auth. */
  httpsBase: string;
  /** caPem is the PEM certificate of the CA that signed the HTTPS server's certificate. */
  caPem: string;
  /**
   * clientCert is a client certificate (CN `fluxiac-git-client`) of that CA. The HTTPS server asks for
   * one but does not require it, and logs the CN of a valid one in `requests[].clientCert`.
   */
  clientCert: { certPem: string; keyPem: string };
  /**
   * requests lists every HTTP(S) request in arrival order. `command` is the protocol-v2 command of a
   * POST to git-upload-pack (`ls-refs` or `fetch`; `fetch` for protocol v0/v1), read from its body.
   */
  requests: GitRequest[];
  /** fetches counts the requests that fetched objects (upload-pack `fetch`) from a repo, by its name. */
  fetches(repo: string): number;
  /** stop kills sshd, closes the HTTP server and removes root; calling it again is a no-op. */
  stop(): Promise<void>;
}

/** GitRepo is the handle of one bare repository of a GitServer. */
export interface GitRepo {
  /** name is the repo's name as given to createRepo (without `.git`). */
  name: string;
  /** path is the absolute path of the bare repo. */
  path: string;
  /** fileUrl is `file:///abs/path/<name>.git`. */
  fileUrl: string;
  /** httpUrl is `${httpBase}/<name>.git` (no credentials in it). */
  httpUrl: string;
  /** httpsUrl is `${httpsBase}/<name>.git` (no credentials in it). */
  httpsUrl: string;
  /** sshUrl is `${sshBase}<absolute path of the bare repo>`. */
  sshUrl: string;
  /**
   * commit writes files (path -> content; null deletes) into a new commit on `branch` (default
   * `main`, created from main's tip — or as an orphan when main is empty — if missing), pushes it
   * to the bare repo and returns its sha (40 hex).
   */
  commit(files: Record<string, string | Buffer | null>, opts?: CommitOptions): Promise<string>;
  /**
   * tag creates a lightweight (default) or annotated tag at a commit (default: the tip of main);
   * `sign` makes it an annotated tag signed by that signer.
   */
  tag(name: string, opts?: { commit?: string; annotated?: boolean; sign?: GitSigner }): Promise<void>;
  /** head returns the sha of a branch's tip (default `main`). */
  head(branch?: string): Promise<string>;
}

/** CommitOptions shape one fixture commit. */
export interface CommitOptions {
  /** Branch to commit on. Default `main`. */
  branch?: string;
  message?: string;
  /** Sign the commit with this signer (PGP or SSH). Default: unsigned. */
  sign?: GitSigner;
  /** Submodules to record: path -> the submodule's URL and the commit it is pinned at. Writes .gitmodules. */
  submodules?: Record<string, { url: string; commit: string }>;
}

/** AUTHOR is the fixed identity of every commit and annotated tag the fixture makes. */
const AUTHOR = { name: "fluxiac-test", email: "test@fluxiac.dev" };

/** gitEnv is an environment for git that ignores the user's and the system's git config and never prompts. */
function gitEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_") && v !== undefined) env[k] = v;
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: AUTHOR.name,
    GIT_AUTHOR_EMAIL: AUTHOR.email,
    GIT_COMMITTER_NAME: AUTHOR.name,
    GIT_COMMITTER_EMAIL: AUTHOR.email,
    ...extra,
  };
}

/** NAME_RE is what createRepo accepts: slash-separated segments of [A-Za-z0-9._-], no `..`. */
const NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
/** REF_RE is a conservative check on branch and tag names passed to commit and tag. */
const REF_RE = /^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._\/-]+$/;

/**
 * startGitServer starts the fixture: a fresh `fluxiac-git-*` temp dir, an HTTP server on a free
 * port of 127.0.0.1 and a foreground sshd on another one. It resolves once sshd answers with its
 * banner. `log` receives sshd's log lines and one line per HTTP request.
 *
 * When run as root, sshd insists on its privilege-separation directory (Debian: /run/sshd); if it
 * is missing, it is created (mode 0755), as the openssh-server service would.
 *
 * The HTTP server and sshd are unref'd, so a forgotten stop() does not keep the process alive; a
 * process "exit" hook then SIGKILLs sshd and removes the temp dir.
 */
export async function startGitServer(opts: { log?: (line: string) => void } = {}): Promise<GitServer> {
  const log = opts.log ?? (() => {});
  const root = await mkdtemp(join(tmpdir(), "fluxiac-git-"));
  const reposDir = join(root, "repos");
  const workDir = join(root, "work");
  const sshDir = join(root, "ssh");
  const home = join(root, "home");
  await Promise.all([reposDir, workDir, sshDir, home].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));

  const git = tool("git");
  const env = gitEnv(home);

  let sshd: ChildProcess | undefined;
  let http: Server | undefined;
  let https: Server | undefined;
  const cgis = new Set<ChildProcess>();
  let stopping: Promise<void> | undefined;

  // If stop() is never called: kill sshd and drop the temp dir while the process exits.
  const onExit = () => {
    if (sshd?.pid !== undefined && sshd.exitCode === null && sshd.signalCode === null) {
      try {
        process.kill(sshd.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const c of cgis) c.kill("SIGKILL");
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // best effort
    }
  };
  process.on("exit", onExit);

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener("exit", onExit);
      const waits: Promise<unknown>[] = [];
      if (sshd && sshd.exitCode === null && sshd.signalCode === null) {
        const proc = sshd;
        waits.push(
          new Promise<void>((r) => {
            const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
            proc.once("exit", () => {
              clearTimeout(t);
              r();
            });
            proc.kill("SIGTERM");
          }),
        );
      }
      for (const c of cgis) c.kill("SIGKILL");
      for (const srv of [http, https]) {
        if (!srv) continue;
        waits.push(new Promise<void>((r) => srv.close(() => r())));
        srv.closeAllConnections();
      }
      await Promise.all(waits);
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    })());

  try {
    // ---- smart HTTP ----
    const httpUser = "fluxiac";
    const httpPassword = randomBytes(12).toString("hex");
    const bearerToken = randomBytes(16).toString("hex");
    const accepted = [`Basic ${Buffer.from(`${httpUser}:${httpPassword}`).toString("base64")}`, `Bearer ${bearerToken}`].map((a) => Buffer.from(a));
    const authorised = (header: string | undefined): boolean => {
      if (!header) return false;
      const got = Buffer.from(header.trim());
      return accepted.some((a) => got.length === a.length && timingSafeEqual(got, a));
    };
    const cgiBaseEnv = gitEnv(home, { GIT_PROJECT_ROOT: reposDir, GIT_HTTP_EXPORT_ALL: "1" });
    const requests: GitRequest[] = [];

    const handler = (scheme: "http" | "https") => (req: IncomingMessage, res: ServerResponse) => {
      log(`${scheme}: ${req.method} ${req.url}`);
      const entry: GitRequest = { scheme, method: req.method ?? "GET", path: new URL(req.url ?? "/", "http://x").pathname, authorised: authorised(req.headers.authorization) };
      const tlsSocket = req.socket as TLSSocket;
      if (scheme === "https" && tlsSocket.authorized) entry.clientCert = String(tlsSocket.getPeerCertificate().subject?.CN);
      requests.push(entry);
      if (!entry.authorised) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="fluxiac"', "Content-Type": "text/plain" });
        res.end("authentication required\n");
        req.resume();
        return;
      }
      if (entry.method === "POST" && entry.path.endsWith("/git-upload-pack")) recordCommand(req, entry);
      serveCgi(req, res, httpUser, cgiBaseEnv, cgis, log);
    };
    http = createHttpServer(handler("http"));
    const httpBase = `http://127.0.0.1:${await listen(http)}`;

    const ca = await makeTestCa(await mkdtemp(join(root, "pki-")));
    const [serving, client] = await Promise.all([ca.issue("git-server", "server"), ca.issue("fluxiac-git-client", "client")]);
    https = createHttpsServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.caPem, requestCert: true, rejectUnauthorized: false }, handler("https"));
    const httpsBase = `https://127.0.0.1:${await listen(https)}`;

    // ---- SSH ----
    const ssh = await startSshd({ dir: sshDir, home, gitPath: git, log });
    sshd = ssh.proc;
    const { sshBase, sshUser, sshIdentity, sshIdentityFile, knownHosts, knownHostsFile } = ssh;

    const repos = new Map<string, GitRepo>();

    const createRepo = async (name: string): Promise<GitRepo> => {
      if (!NAME_RE.test(name) || name.endsWith(".git")) throw new Error(`createRepo: bad repo name ${JSON.stringify(name)}`);
      if (repos.has(name)) throw new Error(`createRepo: repo ${name} exists already`);
      const path = join(reposDir, `${name}.git`);
      await mkdir(dirname(path), { recursive: true });
      await must(git, ["init", "-q", "--bare", "--initial-branch=main", path], { env });
      await must(git, ["-C", path, "config", "http.receivepack", "true"], { env });
      const repo = makeRepo({ name, path, git, env, workTree: join(workDir, name), httpBase, httpsBase, sshBase });
      repos.set(name, repo);
      return repo;
    };

    return {
      root,
      createRepo,
      httpBase,
      httpUser,
      httpPassword,
      bearerToken,
      httpsBase,
      caPem: ca.caPem,
      clientCert: { certPem: client.certPem, keyPem: client.keyPem },
      requests,
      fetches: (repo) => requests.filter((r) => r.path === `/${repo}.git/git-upload-pack` && r.command === "fetch").length,
      sshBase,
      sshUser,
      sshIdentity,
      sshIdentityFile,
      knownHosts,
      knownHostsFile,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** makeRepo builds the GitRepo handle of a freshly created bare repo. */
function makeRepo(p: {
  name: string;
  path: string;
  git: string;
  env: NodeJS.ProcessEnv;
  workTree: string;
  httpBase: string;
  httpsBase: string;
  sshBase: string;
}): GitRepo {
  const { name, path, git, env, workTree } = p;
  // Serialise the operations on one repo: they share the scratch work tree.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };
  const wt = (...args: string[]) => must(git, ["-C", workTree, ...args], { env });
  const signed = (signer: GitSigner, ...args: string[]) => must(git, ["-C", workTree, ...signer.config, ...args], { env: { ...env, ...signer.env } });
  const bare = (...args: string[]) => must(git, ["--git-dir", path, ...args], { env });

  const head = (branch = "main"): Promise<string> => {
    if (!REF_RE.test(branch)) return Promise.reject(new Error(`head: bad branch name ${JSON.stringify(branch)}`));
    return bare("rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`).then(
      (s) => s.trim(),
      () => {
        throw new Error(`head: repo ${name} has no branch ${branch}`);
      },
    );
  };

  const commit = (files: Record<string, string | Buffer | null>, opts: CommitOptions = {}) =>
    serial(async () => {
      const branch = opts.branch ?? "main";
      if (!REF_RE.test(branch)) throw new Error(`commit: bad branch name ${JSON.stringify(branch)}`);
      if (!existsSync(join(workTree, ".git"))) {
        await mkdir(workTree, { recursive: true });
        await wt("init", "-q", "--initial-branch=main");
        await wt("remote", "add", "origin", path);
      }
      await wt("fetch", "-q", "--prune", "origin");
      const has = async (ref: string) =>
        (await run(git, ["-C", workTree, "rev-parse", "--verify", "--quiet", ref], { env })).code === 0;
      if (await has(`refs/remotes/origin/${branch}`)) {
        await wt("checkout", "-q", "-f", "-B", branch, `refs/remotes/origin/${branch}`);
      } else if (await has("refs/remotes/origin/main")) {
        await wt("checkout", "-q", "-f", "-B", branch, "refs/remotes/origin/main");
      } else {
        await wt("checkout", "-q", "-f", "--orphan", branch);
        await wt("rm", "-r", "-q", "-f", "--cached", "--ignore-unmatch", ".");
      }
      await wt("clean", "-q", "-f", "-d", "-x");
      for (const [file, content] of Object.entries(files)) {
        const abs = resolve(workTree, file);
        const rel = relative(workTree, abs);
        if (!rel || rel.startsWith("..") || isAbsolute(rel) || rel.split(/[\\/]/)[0] === ".git") {
          throw new Error(`commit: bad file path ${JSON.stringify(file)}`);
        }
        if (content === null) {
          await rm(abs, { recursive: true, force: true });
        } else {
          await mkdir(dirname(abs), { recursive: true });
          await writeFile(abs, content);
        }
      }
      const submodules = Object.entries(opts.submodules ?? {});
      if (submodules.length) {
        const gitmodules = submodules.map(([path, { url }]) => `[submodule "${path}"]\n\tpath = ${path}\n\turl = ${url}\n`).join("");
        await writeFile(join(workTree, ".gitmodules"), gitmodules);
      }
      await wt("add", "-A");
      for (const [path, { commit: sha }] of submodules) await wt("update-index", "--add", "--cacheinfo", `160000,${sha},${path}`);
      const message = opts.message ?? `update ${Object.keys(files).join(", ") || "(empty)"}`;
      if (opts.sign) await signed(opts.sign, "commit", "-q", "-S", "--allow-empty", "--no-verify", "-m", message);
      else await wt("commit", "-q", "--allow-empty", "--no-verify", "-m", message);
      await wt("push", "-q", "origin", `HEAD:refs/heads/${branch}`);
      return (await wt("rev-parse", "HEAD")).trim();
    });

  const tag = (tagName: string, opts: { commit?: string; annotated?: boolean; sign?: GitSigner } = {}) =>
    serial(async () => {
      if (!REF_RE.test(tagName)) throw new Error(`tag: bad tag name ${JSON.stringify(tagName)}`);
      const target = opts.commit ?? (await head("main"));
      if (opts.sign) {
        await must(git, ["--git-dir", path, ...opts.sign.config, "tag", "-s", "-m", `tag ${tagName}`, tagName, target], { env: { ...env, ...opts.sign.env } });
      } else if (opts.annotated) await bare("tag", "-a", "-m", `tag ${tagName}`, tagName, target);
      else await bare("tag", tagName, target);
    });

  return {
    name,
    path,
    fileUrl: pathToFileURL(path).href,
    httpUrl: `${p.httpBase}/${name}.git`,
    httpsUrl: `${p.httpsBase}/${name}.git`,
    sshUrl: `${p.sshBase}${path}`,
    commit,
    tag,
    head,
  };
}
