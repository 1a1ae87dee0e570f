// What goes into a GitRepository's artifact, against a real Git server: submodules, include[],
// .sourceignore and ignore, and signature verification (PGP and SSH) before anything is packed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "../../src/core/artifact/archive";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { ensureGitArtifact, gitRepositoryStatus, planGitRepository } from "../../src/core/reconcile/git-repository";
import type { GitRepositoryReference, GitRepositorySpec } from "../../src/core/source/git-types";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { makePgpSigner, makeSshSigner, type GitSigner } from "../harness/git-signing";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const store = (dir = "store") => new ArtifactStore(join(scratch, dir));
const ctx = (s = store()) => ({ store: s, log: silentLogger });

/** files lists the regular files of a stored artifact, sorted. */
async function files(digest: string, s = store()): Promise<string[]> {
  const dir = mkdtempSync(join(scratch, "x-"));
  await extract(s.path(digest), dir);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe("GitRepository content", () => {
  let git: GitServer;
  const signers: GitSigner[] = [];

  before(async () => {
    git = await startGitServer();
  });
  after(async () => {
    await Promise.all(signers.map((s) => s.stop()));
    await git?.stop();
  });

  const https = (repo: GitRepo, extra: Partial<GitRepositorySpec> = {}): GitRepositorySpec => ({
    url: repo.httpsUrl,
    ref: { branch: "main" },
    tls: { caCert: git.caPem },
    auth: { bearerToken: git.bearerToken },
    ...extra,
  });

  test("recurseSubmodules fetches submodules recursively over HTTPS with the same credentials and CA", async () => {
    const leaf = await git.createRepo("leaf");
    const leafHead = await leaf.commit({ "leaf.yaml": "leaf: 1\n" });
    const lib = await git.createRepo("lib");
    const libHead = await lib.commit({ "lib.yaml": "lib: 1\n" }, { submodules: { deep: { url: leaf.httpsUrl, commit: leafHead } } });
    await lib.commit({ "lib.yaml": "lib: 2 (not pinned)\n" });
    const app = await git.createRepo("app");
    await app.commit({ "app.yaml": "app: 1\n" }, { submodules: { "vendor/lib": { url: lib.httpsUrl, commit: libHead } } });

    const without = await planGitRepository("app", https(app), undefined, ctx());
    assert.deepEqual(await files(without.artifact.digest), ["app.yaml"]);
    const withSubs = await planGitRepository("app", https(app, { recurseSubmodules: true }), undefined, ctx());
    assert.deepEqual(await files(withSubs.artifact.digest), ["app.yaml", "vendor/lib/deep/leaf.yaml", "vendor/lib/lib.yaml"], "pinned commits, no .git files");
    assert.equal(withSubs.artifact.revision, without.artifact.revision);
    assert.ok(git.fetches("leaf") > 0 && git.requests.filter((r) => r.path.startsWith("/leaf.git/")).every((r) => r.scheme === "https" && r.authorised));
  });

  test("a file:// submodule is refused (git's protocol.file.allow=user default is kept)", async () => {
    const lib = await git.createRepo("local-lib");
    const libHead = await lib.commit({ "lib.yaml": "lib: 1\n" });
    const app = await git.createRepo("local-app");
    await app.commit({ "app.yaml": "app: 1\n" }, { submodules: { lib: { url: lib.fileUrl, commit: libHead } } });
    await assert.rejects(planGitRepository("local-app", https(app, { recurseSubmodules: true }), undefined, ctx()), /GitRepository "local-app": a submodule of https:\/\/127\.0\.0\.1:\d+\/local-app\.git uses the file transport, which git refuses for submodules: point \.gitmodules at an https:\/\/ or ssh:\/\/ URL/);
  });

  test("include copies fromPath to toPath; the revision stays the includer's, the digest follows the included content", async () => {
    const base = await git.createRepo("base");
    await base.commit({ "deploy/base.yaml": "base: 1\n", "README.md": "base\n" });
    const main = await git.createRepo("main");
    const mainHead = await main.commit({ "app.yaml": "app: 1\n" });
    const baseSpec = https(base);
    const reference = async (): Promise<GitRepositoryReference> => ({ kind: "GitRepository", name: "base", spec: baseSpec, artifact: (await planGitRepository("base", baseSpec, undefined, ctx())).artifact });

    const ref1 = await reference();
    const spec = https(main, { include: [{ repository: ref1, fromPath: "deploy", toPath: "vendor/base" }, { repository: ref1 }] });
    const first = await planGitRepository("main", spec, undefined, ctx());
    assert.equal(first.artifact.revision, `main@sha1:${mainHead}`);
    assert.deepEqual(await files(first.artifact.digest), ["app.yaml", "base/README.md", "base/deploy/base.yaml", "vendor/base/base.yaml"]);
    assert.deepEqual(first.includedArtifacts, [ref1.artifact, ref1.artifact]);

    const previous = gitRepositoryStatus(spec, first);
    assert.deepEqual(previous.observedInclude, [{ repository: "base", fromPath: "deploy", toPath: "vendor/base" }, { repository: "base", fromPath: undefined, toPath: "base" }]);
    assert.equal((await planGitRepository("main", spec, previous, ctx())).fetched, false, "unchanged include: no fetch");

    await base.commit({ "deploy/base.yaml": "base: 2\n" });
    const ref2 = await reference();
    assert.notEqual(ref2.artifact.revision, ref1.artifact.revision);
    const spec2 = https(main, { include: [{ repository: ref2, fromPath: "deploy", toPath: "vendor/base" }, { repository: ref2 }] });
    const second = await planGitRepository("main", spec2, previous, ctx());
    assert.equal(second.fetched, true);
    assert.equal(second.artifact.revision, first.artifact.revision, "Flux keeps the includer's revision");
    assert.notEqual(second.artifact.digest, first.artifact.digest, "the artifact changes with the included content");
    assert.deepEqual(second.includedArtifacts, [ref2.artifact, ref2.artifact]);

    // Another machine: the includer's exact artifact is rebuilt from both repositories and verified.
    const elsewhere = store("elsewhere");
    assert.equal(await ensureGitArtifact("main", spec2, second.artifact, ctx(elsewhere)), elsewhere.path(second.artifact.digest));
  });

  test("include paths that leave the tree or do not exist fail naming the field", async () => {
    const base = await git.createRepo("inc-base");
    await base.commit({ "a.yaml": "a: 1\n" });
    const main = await git.createRepo("inc-main");
    await main.commit({ "app.yaml": "app: 1\n" });
    const repository: GitRepositoryReference = { kind: "GitRepository", name: "inc-base", spec: https(base), artifact: (await planGitRepository("inc-base", https(base), undefined, ctx())).artifact };
    const cases: [Partial<GitRepositorySpec>["include"], RegExp][] = [
      [[{ repository, toPath: "../escape" }], /include\[0\]\.toPath "\.\.\/escape" must not contain "\.\."/],
      [[{ repository, fromPath: "/etc" }], /include\[0\]\.fromPath "\/etc" must be a relative path/],
      [[{ repository, fromPath: "missing" }], /include\[0\]\.fromPath "missing" was not found in the artifact main@sha1:[0-9a-f]{40} of GitRepository "inc-base"/],
    ];
    for (const [include, expected] of cases) await assert.rejects(planGitRepository("inc-main", https(main, { include }), undefined, ctx()), expected);
  });

  test("ignore rules: Flux's defaults without custom patterns; any .sourceignore or ignore drops them; .sourceignore is scoped", async () => {
    const tree = { "deploy/a.yaml": "a\n", "deploy/notes.txt": "n\n", "deploy/sub/b.txt": "b\n", "notes.txt": "n\n", "horse.jpg": "jpg\n", ".github/workflows/ci.yml": "ci\n", ".gitignore": "x\n" };
    const plain = await git.createRepo("ignore-plain");
    await plain.commit(tree);
    const scoped = await git.createRepo("ignore-scoped");
    await scoped.commit({ ...tree, "deploy/.sourceignore": "*.txt\n" });
    const cases: [GitRepo, string | undefined, string[]][] = [
      [plain, undefined, ["deploy/a.yaml", "deploy/notes.txt", "deploy/sub/b.txt", "notes.txt"]],
      [plain, "*.txt\n", [".github/workflows/ci.yml", "deploy/a.yaml", "horse.jpg"]],
      [plain, "/notes.txt\n!deploy/", [".github/workflows/ci.yml", "deploy/a.yaml", "deploy/notes.txt", "deploy/sub/b.txt", "horse.jpg"]],
      [scoped, undefined, [".github/workflows/ci.yml", "deploy/.sourceignore", "deploy/a.yaml", "horse.jpg", "notes.txt"]],
      [scoped, "*.jpg", [".github/workflows/ci.yml", "deploy/.sourceignore", "deploy/a.yaml", "notes.txt"]],
    ];
    for (const [repo, ignore, expected] of cases) {
      const { artifact } = await planGitRepository(repo.name, https(repo, { ignore }), undefined, ctx());
      assert.deepEqual(await files(artifact.digest), expected, `${repo.name} ignore=${JSON.stringify(ignore)}`);
    }
  });

  describe("verify", () => {
    let repo: GitRepo;
    let pgp: GitSigner;
    let ssh: GitSigner;
    let stranger: GitSigner;
    let c1: string;
    let c2: string;

    before(async () => {
      [pgp, ssh, stranger] = await Promise.all([makePgpSigner(scratch), makeSshSigner(scratch), makePgpSigner(scratch, "stranger <stranger@example.org>")]);
      signers.push(pgp, ssh, stranger);
      repo = await git.createRepo("signed");
      c1 = await repo.commit({ "a.yaml": "a: 1\n" }, { sign: pgp });
      await repo.tag("v1.0.0", { sign: pgp });
      c2 = await repo.commit({ "a.yaml": "a: 2\n" }, { sign: ssh });
      await repo.tag("v2.0.0", { sign: ssh });
      await repo.tag("v3.0.0", { annotated: true });
      await repo.tag("v4.0.0");
      await repo.commit({ "a.yaml": "a: unsigned\n" }, { branch: "unsigned" });
    });

    test("signed commits and tags pass with their PGP or SSH key, and the verified mode is recorded", async () => {
      const cases: [GitRepositorySpec["ref"], GitRepositorySpec["verify"], string][] = [
        [{ tag: "v1.0.0" }, { mode: "HEAD", publicKeys: [pgp.publicKey] }, `v1.0.0@sha1:${c1}`],
        [{ tag: "v1.0.0" }, { mode: "TagAndHEAD", publicKeys: [pgp.publicKey] }, `v1.0.0@sha1:${c1}`],
        [{ semver: "~2.0" }, { mode: "Tag", publicKeys: [ssh.publicKey] }, `v2.0.0@sha1:${c2}`],
        [{ name: "refs/tags/v1.0.0" }, { mode: "TagAndHEAD", publicKeys: [pgp.publicKey] }, `refs/tags/v1.0.0@sha1:${c1}`],
        [{ branch: "main" }, { mode: "HEAD", publicKeys: [`${stranger.publicKey}${pgp.publicKey}`, ssh.publicKey] }, `main@sha1:${c2}`],
      ];
      for (const [ref, verify, revision] of cases) {
        const res = await planGitRepository("signed", https(repo, { ref, verify }), undefined, ctx());
        assert.equal(res.artifact.revision, revision);
        assert.equal(res.sourceVerificationMode, verify!.mode);
        assert.equal(gitRepositoryStatus(https(repo, { ref, verify }), res).sourceVerificationMode, verify!.mode);
      }
    });

    test("an unsigned or wrongly signed commit or tag fails naming verify and the mode, and nothing is packed", async () => {
      const cases: [GitRepositorySpec["ref"], GitRepositorySpec["verify"], RegExp][] = [
        [{ branch: "unsigned" }, { mode: "HEAD", publicKeys: [pgp.publicKey] }, /verify \(mode HEAD\): commit [0-9a-f]{40} has no valid signature from a key in verify\.publicKeys \(no signature\)/],
        [{ tag: "v1.0.0" }, { mode: "HEAD", publicKeys: [stranger.publicKey] }, /verify \(mode HEAD\): commit [0-9a-f]{40} has no valid signature .*\(signed by an unknown key\)/],
        [{ tag: "v2.0.0" }, { mode: "Tag", publicKeys: [pgp.publicKey] }, /verify \(mode Tag\): tag "v2\.0\.0" has no valid signature/],
        [{ tag: "v3.0.0" }, { mode: "TagAndHEAD", publicKeys: [ssh.publicKey] }, /verify \(mode TagAndHEAD\): tag "v3\.0\.0" has no valid signature .*\(no signature\)/],
        [{ tag: "v4.0.0" }, { mode: "Tag", publicKeys: [ssh.publicKey] }, /verify \(mode Tag\): tag "v4\.0\.0" is a lightweight tag/],
        [{ branch: "main" }, { mode: "Tag", publicKeys: [ssh.publicKey] }, /verify\.mode "Tag" verifies a tag: set ref\.tag or ref\.semver/],
      ];
      for (const [ref, verify, expected] of cases) {
        const empty = store(`verify-${mkdtempSync(join(scratch, "n-")).slice(-6)}`);
        await assert.rejects(planGitRepository("signed", https(repo, { ref, verify }), undefined, ctx(empty)), expected);
        assert.deepEqual(await readdir(join(empty.dir, "sha256")).catch(() => []), [], `${JSON.stringify(ref)}: nothing packed`);
      }
    });

    test("a change of verify fetches again even when the revision did not move", async () => {
      const spec = https(repo, { ref: { tag: "v1.0.0" } });
      const first = await planGitRepository("signed", spec, undefined, ctx());
      const verified = https(repo, { ref: { tag: "v1.0.0" }, verify: { mode: "HEAD", publicKeys: [pgp.publicKey] } });
      const res = await planGitRepository("signed", verified, gitRepositoryStatus(spec, first), ctx());
      assert.equal(res.fetched, true);
      assert.equal(res.sourceVerificationMode, "HEAD");
      assert.equal((await planGitRepository("signed", verified, gitRepositoryStatus(verified, res), ctx())).fetched, false);
    });
  });
});
