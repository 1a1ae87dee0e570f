// GitRepository against a real Git server: refs, artifacts, no-op detection and digest verification.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { ensureGitArtifact, planGitRepository } from "../../src/core/reconcile/git-repository";
import type { GitRepositorySpec } from "../../src/core/source/git-types";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { after as afterAll } from "node:test";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("GitRepository source", () => {
  let git: GitServer;
  let repo: GitRepo;
  let storeDir: string;
  let c1: string;
  let c2: string;
  let pr: string;
  const ctx = () => ({ store: new ArtifactStore(storeDir), log: silentLogger });

  before(async () => {
    git = await startGitServer();
    storeDir = await mkdtemp(join(scratch, "fluxiac-store-"));
    repo = await git.createRepo("refs");
    c1 = await repo.commit({ "deploy/a.yaml": "a: 1\n" });
    await repo.tag("v1.0.0", { annotated: true });
    c2 = await repo.commit({ "deploy/a.yaml": "a: 2\n" });
    await repo.tag("v1.2.0");
    await repo.tag("v2.0.0-rc.1");
    await repo.commit({ "feature.yaml": "f: 1\n" }, { branch: "feature" });
    // A pull request's head, as forges publish it: a ref outside refs/heads and refs/tags.
    pr = await repo.commit({ "pr.yaml": "p: 1\n" }, { branch: "pr-7" });
    execFileSync("git", ["--git-dir", repo.path, "update-ref", "refs/pull/7/head", pr]);
    execFileSync("git", ["--git-dir", repo.path, "update-ref", "-d", "refs/heads/pr-7"]);
  });
  after(async () => {
    await git?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  const http = (extra: Partial<GitRepositorySpec> = {}): GitRepositorySpec => ({
    url: repo.httpUrl,
    auth: { username: git.httpUser, password: git.httpPassword },
    ...extra,
  });

  test("refs resolve in Flux's revision formats, with Flux's precedence", async () => {
    const cases: [GitRepositorySpec, string][] = [
      [http({ ref: { branch: "main" } }), `main@sha1:${c2}`],
      [http({ ref: { tag: "v1.0.0" } }), `v1.0.0@sha1:${c1}`],
      [http({ ref: { semver: ">= 1.0.0, < 2.0.0" } }), `v1.2.0@sha1:${c2}`],
      [http({ ref: { commit: c1 } }), `sha1:${c1}`],
      [http({ ref: { branch: "main", commit: c1 } }), `main@sha1:${c1}`],
      [http({ ref: { name: "refs/heads/feature" } }), `refs/heads/feature@sha1:${await repo.head("feature")}`],
      [http({ ref: { name: "refs/pull/7/head" } }), `refs/pull/7/head@sha1:${pr}`],
      // commit beats tag, tag beats semver and branch (Flux's code, not its docs).
      [http({ ref: { tag: "v1.0.0", semver: "*", branch: "main" } }), `v1.0.0@sha1:${c1}`],
      [{ url: repo.fileUrl, ref: { branch: "main" } }, `main@sha1:${c2}`],
    ];
    for (const [spec, revision] of cases) {
      const { artifact } = await planGitRepository("refs", spec, undefined, ctx());
      assert.equal(artifact.revision, revision, JSON.stringify(spec.ref));
    }
  });

  test("the artifact of a commit is the same whichever ref or protocol fetched it", async () => {
    const a = await planGitRepository("refs", http({ ref: { branch: "main" } }), undefined, ctx());
    const b = await planGitRepository("refs", { url: repo.fileUrl, ref: { tag: "v1.2.0" } }, undefined, ctx());
    assert.equal(a.artifact.digest, b.artifact.digest);
    assert.ok(await ctx().store.has(a.artifact.digest));
  });

  test("an unchanged remote is not fetched again; a new commit or new settings are", async () => {
    const spec = http({ ref: { branch: "main" } });
    const first = await planGitRepository("refs", spec, undefined, ctx());
    const prev = { artifact: first.artifact, observedUrl: spec.url, observedIgnore: spec.ignore };
    assert.equal((await planGitRepository("refs", spec, prev, ctx())).fetched, false);
    const ignored = await planGitRepository("refs", { ...spec, ignore: "deploy/" }, prev, ctx());
    assert.equal(ignored.fetched, true);
    assert.notEqual(ignored.artifact.digest, first.artifact.digest);
    const c3 = await repo.commit({ "deploy/b.yaml": "b: 1\n" });
    const moved = await planGitRepository("refs", spec, prev, ctx());
    assert.equal(moved.fetched, true);
    assert.equal(moved.artifact.revision, `main@sha1:${c3}`);
  });

  test("a consumer without the artifact fetches the exact revision again and verifies its digest", async () => {
    const spec = http({ ref: { branch: "main" } });
    const { artifact } = await planGitRepository("refs", spec, undefined, ctx());
    const elsewhere = await mkdtemp(join(scratch, "fluxiac-store-"));
    try {
      await repo.commit({ "deploy/c.yaml": "c: 1\n" }); // the branch moves on; the revision must not
      const path = await ensureGitArtifact("refs", spec, artifact, { store: new ArtifactStore(elsewhere), log: silentLogger });
      assert.equal(path, new ArtifactStore(elsewhere).path(artifact.digest));
      await assert.rejects(
        ensureGitArtifact("refs", { ...spec, ignore: "*.yaml" }, artifact, { store: new ArtifactStore(await mkdtemp(join(scratch, "fluxiac-store-"))), log: silentLogger }),
        /GitRepository "refs": digest mismatch for revision main@sha1:[0-9a-f]{40}/,
      );
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  test("bad refs and credentials fail with the object and the fix", async () => {
    await assert.rejects(planGitRepository("refs", http({ ref: { tag: "v9" } }), undefined, ctx()), /GitRepository "refs": tag "v9" was not found/);
    await assert.rejects(planGitRepository("refs", http({ ref: { semver: ">= 5.0.0" } }), undefined, ctx()), /no tag in .* matches ref.semver ">= 5.0.0"/);
    await assert.rejects(
      planGitRepository("refs", http({ ref: { commit: "0".repeat(40) } }), undefined, ctx()),
      /GitRepository "refs": commit 0{40} was not found/,
    );
    const err = await planGitRepository("refs", http({ auth: { username: git.httpUser, password: "hunter2" } }), undefined, ctx()).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /authentication to .* failed: check the credentials in auth/);
    assert.equal(err.message.includes("hunter2"), false);
    await assert.rejects(
      planGitRepository("refs", { url: "http://127.0.0.1:1/none.git", timeout: "5s" }, undefined, ctx()),
      /GitRepository "refs": http:\/\/127.0.0.1:1\/none.git is unreachable/,
    );
  });
});
