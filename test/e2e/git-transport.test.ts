// GitRepository transports against real servers: HTTPS with a custom CA and bearer auth, SSH with
// known_hosts, timeouts against a host that never answers, and no fetch when nothing changed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { gitRepositoryStatus, planGitRepository } from "../../src/core/reconcile/git-repository";
import type { GitRepositorySpec } from "../../src/core/source/git-types";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { makeTestCa } from "../harness/pki";
import { startSilentServer, type SilentServer } from "../harness/silent-server";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("GitRepository transports", () => {
  let git: GitServer;
  let repo: GitRepo;
  let silent: SilentServer;
  let head: string;
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });
  const plan = (spec: GitRepositorySpec) => planGitRepository("transport", spec, undefined, ctx());

  before(async () => {
    [git, silent] = await Promise.all([startGitServer(), startSilentServer()]);
    repo = await git.createRepo("transport");
    head = await repo.commit({ "deploy/a.yaml": "a: 1\n" });
  });
  after(async () => {
    await Promise.all([git?.stop(), silent?.stop()]);
  });

  test("given HTTPS with the server's CA in tls.caCert, bearer and basic auth both fetch the same artifact", async () => {
    const bearer = await plan({ url: repo.httpsUrl, ref: { branch: "main" }, tls: { caCert: git.caPem }, auth: { bearerToken: git.bearerToken } });
    const basic = await plan({ url: repo.httpsUrl, ref: { branch: "main" }, tls: { caCert: git.caPem }, auth: { username: git.httpUser, password: git.httpPassword } });
    assert.equal(bearer.artifact.revision, `main@sha1:${head}`);
    assert.equal(bearer.artifact.digest, basic.artifact.digest);
    const https = git.requests.filter((r) => r.scheme === "https" && r.authorised);
    assert.ok(https.some((r) => r.command === "fetch"), "the fetch went over HTTPS");
  });

  test("given tls.cert and tls.key, git presents the client certificate", async () => {
    const tls = { caCert: git.caPem, cert: git.clientCert.certPem, key: git.clientCert.keyPem };
    const seen = git.requests.length;
    await plan({ url: repo.httpsUrl, ref: { branch: "main" }, tls, auth: { bearerToken: git.bearerToken } });
    const fresh = git.requests.slice(seen);
    assert.ok(fresh.length > 0 && fresh.every((r) => r.clientCert === "fluxiac-git-client"), JSON.stringify(fresh));
  });

  test("given an untrusted CA, wrong or missing credentials, the error names the field to fix and no secret", async () => {
    const other = await makeTestCa(mkdtempSync(join(scratch, "ca-")));
    const cases: [string, GitRepositorySpec, RegExp][] = [
      ["no CA", { url: repo.httpsUrl, auth: { bearerToken: git.bearerToken } }, /the TLS certificate of https:\/\/127\.0\.0\.1:\d+\/transport\.git is not trusted: set tls\.caCert/],
      ["another CA", { url: repo.httpsUrl, tls: { caCert: other.caPem }, auth: { bearerToken: git.bearerToken } }, /is not trusted: set tls\.caCert/],
      ["wrong token", { url: repo.httpsUrl, tls: { caCert: git.caPem }, auth: { bearerToken: "not-the-token" } }, /authentication to .* failed: check the credentials in auth/],
      ["wrong password", { url: repo.httpUrl, auth: { username: git.httpUser, password: "hunter2-wrong" } }, /authentication to .* failed: check the credentials in auth/],
      ["no credentials", { url: repo.httpsUrl, tls: { caCert: git.caPem } }, /authentication to .* failed/],
    ];
    for (const [name, spec, expected] of cases) {
      const err = await plan({ ...spec, ref: { branch: "main" } }).then(() => undefined, (e: Error) => e);
      assert.ok(err, `${name}: must fail`);
      assert.match(err.message, /^GitRepository "transport": /, name);
      assert.match(err.message, expected, name);
      for (const secret of ["not-the-token", "hunter2-wrong", git.bearerToken, git.httpPassword]) assert.equal(err.message.includes(secret), false, `${name}: no secret`);
    }
  });

  test("given SSH, the server's key in knownHosts lets the fetch through; an unknown host key is refused", async () => {
    const auth = { identity: git.sshIdentity, knownHosts: git.knownHosts };
    const { artifact } = await plan({ url: repo.sshUrl, ref: { branch: "main" }, auth });
    assert.equal(artifact.revision, `main@sha1:${head}`);
    const stranger = `${git.knownHosts.split(" ")[0]} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`;
    await assert.rejects(plan({ url: repo.sshUrl, ref: { branch: "main" }, auth: { ...auth, knownHosts: stranger } }), /the SSH host key of .* is not trusted: add the server's key to auth\.knownHosts/);
  });

  test("given a host that accepts connections and never answers, HTTP and SSH fail within the timeout", async () => {
    const timeoutMs = 3000;
    const urls = [`http://127.0.0.1:${silent.port}/x.git`, `https://127.0.0.1:${silent.port}/x.git`, `ssh://git@127.0.0.1:${silent.port}/x.git`];
    for (const url of urls) {
      const before = silent.connections();
      const started = Date.now();
      const spec: GitRepositorySpec = { url, ref: { branch: "main" }, timeout: "3s", auth: url.startsWith("ssh") ? { knownHosts: git.knownHosts } : undefined };
      await assert.rejects(plan(spec), new RegExp(`GitRepository "transport": git timed out after 3s talking to ${url.replace(/[.]/g, "\\.")}: raise timeout`));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= timeoutMs - 100 && elapsed < timeoutMs + 3000, `${url}: failed after ${elapsed} ms`);
      assert.ok(silent.connections() > before, `${url}: git connected to the silent host`);
    }
  });

  test("the timeout also bounds the fetch and the submodules", async () => {
    const silentUrl = `http://127.0.0.1:${silent.port}/x.git`;
    const app = await git.createRepo("silent-submodule");
    await app.commit({ "app.yaml": "app: 1\n" }, { submodules: { lib: { url: silentUrl, commit: head } } });
    const cases: [string, GitRepositorySpec][] = [
      // A commit ref needs no ls-remote: the fetch is the first thing that talks to the host.
      ["fetch", { url: silentUrl, ref: { commit: head }, timeout: "3s" }],
      ["submodules", { url: app.httpUrl, ref: { branch: "main" }, auth: { username: git.httpUser, password: git.httpPassword }, recurseSubmodules: true, timeout: "3s" }],
    ];
    for (const [name, spec] of cases) {
      const started = Date.now();
      await assert.rejects(plan(spec), new RegExp(`git timed out after 3s talking to ${spec.url.replace(/[.]/g, "\\.")}`), name);
      assert.ok(Date.now() - started < 3000 + 3000, `${name}: failed after ${Date.now() - started} ms`);
    }
  });

  test("given an unchanged remote and settings, a plan costs one ls-remote and no fetch", async () => {
    const spec: GitRepositorySpec = { url: repo.httpsUrl, ref: { branch: "main" }, tls: { caCert: git.caPem }, auth: { bearerToken: git.bearerToken }, recurseSubmodules: true };
    const first = await planGitRepository("transport", spec, undefined, ctx());
    const previous = gitRepositoryStatus(spec, first);
    const fetches = git.fetches("transport");
    const lsRefs = git.requests.filter((r) => r.path === "/transport.git/git-upload-pack" && r.command === "ls-refs").length;
    const again = await planGitRepository("transport", spec, previous, ctx());
    assert.equal(again.fetched, false);
    assert.deepEqual(again.artifact, first.artifact);
    assert.equal(git.fetches("transport"), fetches, "no fetch reached the server");
    assert.equal(git.requests.filter((r) => r.path === "/transport.git/git-upload-pack" && r.command === "ls-refs").length, lsRefs + 1, "one ls-remote");
    // Each observed setting, when changed, fetches again.
    for (const changed of [{ recurseSubmodules: false }, { ignore: "*.md" }, { url: repo.httpUrl, tls: undefined, auth: { bearerToken: git.bearerToken } }]) {
      const before = git.fetches("transport");
      const res = await planGitRepository("transport", { ...spec, ...changed }, previous, ctx());
      assert.equal(res.fetched, true, JSON.stringify(Object.keys(changed)));
      assert.equal(git.fetches("transport"), before + 1);
    }
  });
});
