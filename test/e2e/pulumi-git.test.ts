// GitRepository under the real Pulumi engine: preview shows new revisions (commits, semver tags, included
// repositories) and nothing else; an unchanged preview costs one ls-remote per repository and no fetch.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { makeSshSigner, type GitSigner } from "../harness/git-signing";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** PROGRAM: "app" over HTTPS (custom CA, bearer) includes "base"; "rel" follows a semver range over HTTP with basic auth. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const https = { tls: { caCert: cfg.require("caCert") }, auth: cfg.requireSecretObject("bearer") };
const base = new GitRepository("base", { url: cfg.require("baseUrl"), ref: { branch: "main" }, ...https });
const app = new GitRepository("app", {
  url: cfg.require("appUrl"),
  ref: { branch: "main" },
  ...https,
  recurseSubmodules: true,
  include: [{ repository: base, fromPath: "deploy", toPath: "vendor/base" }],
});
const rel = new GitRepository("rel", { url: cfg.require("relUrl"), ref: { semver: ">= 1.0.0, < 2.0.0" }, auth: cfg.requireSecretObject("basic") });
exports.app = app.artifact;
exports.appIncluded = app.includedArtifacts;
exports.base = base.artifact;
exports.rel = rel.artifact;
`;

describe("GitRepository under pulumi preview and up", () => {
  let git: GitServer;
  let base: GitRepo;
  let app: GitRepo;
  let rel: GitRepo;
  let prog: PulumiProgram;
  const engineLog: string[] = [];
  const repos = ["base", "app", "rel"];

  /** preview runs `pulumi preview --diff` and returns, per GitRepository, the planned operation and artifacts. */
  const preview = async () => {
    const steps = new Map<string, { op: string; old?: any; new?: any }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await prog.stack.preview({
      diff: true,
      onOutput: (o) => engineLog.push(o),
      onEvent: (e: EngineEvent) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === "pulumi-nodejs:dynamic/source:GitRepository") {
          steps.set(md.urn.split("::").pop()!, { op: md.op, old: md.old?.inputs, new: md.new?.inputs });
        }
      },
    });
    return { ...res, steps };
  };
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });
  const counts = () => Object.fromEntries(repos.map((r) => [r, { fetch: git.fetches(r), lsRefs: git.requests.filter((q) => q.path === `/${r}.git/git-upload-pack` && q.command === "ls-refs").length }]));

  before(async () => {
    git = await startGitServer();
    [base, app, rel] = await Promise.all(repos.map((r) => git.createRepo(r)));
    await base.commit({ "deploy/base.yaml": "base: 1\n", "README.md": "not included\n" });
    await app.commit({ "app.yaml": "app: 1\n" });
    await rel.commit({ "rel.yaml": "rel: 1\n" });
    await rel.tag("v1.0.0");
    prog = await pulumiProgram("gitrepos", PROGRAM, {
      config: {
        caCert: { value: git.caPem },
        bearer: { value: JSON.stringify({ bearerToken: git.bearerToken }), secret: true },
        basic: { value: JSON.stringify({ username: git.httpUser, password: git.httpPassword }), secret: true },
        baseUrl: { value: base.httpsUrl },
        appUrl: { value: app.httpsUrl },
        relUrl: { value: rel.httpUrl },
      },
    });
  });
  after(async () => {
    await prog?.cleanup();
    await git?.stop();
  });

  test("preview before the first up shows every repository to create, the includer with its artifact", async () => {
    const pv = await preview();
    assert.deepEqual([...pv.steps.values()].map((s) => s.op), ["create", "create", "create"], pv.stdout);
    assert.equal(pv.steps.get("app")?.new.artifact.revision, `main@sha1:${await app.head()}`);
    assert.equal(pv.steps.get("app")?.new.includedArtifacts[0].revision, `main@sha1:${await base.head()}`);
  });

  test("up fetches every repository; the checkpoint holds no token or password in plain text", async () => {
    const res = await up();
    assert.equal(res.outputs.app.value.revision, `main@sha1:${await app.head()}`);
    assert.equal(res.outputs.rel.value.revision, `v1.0.0@sha1:${await rel.head()}`);
    assert.deepEqual(res.outputs.appIncluded.value, [res.outputs.base.value]);
    const state = await prog.rawState();
    assert.ok(state.includes(res.outputs.app.value.digest), "the state was read");
    for (const secret of [git.bearerToken, git.httpPassword, Buffer.from(`${git.httpUser}:${git.httpPassword}`).toString("base64")]) {
      assert.equal(state.includes(secret), false, "no credential in plain state");
      assert.equal(engineLog.join("").includes(secret), false, "nor in the engine's output");
    }
  });

  test("given nothing changed, preview shows no change and costs one ls-remote per repository, no fetch", async () => {
    const before = counts();
    const pv = await preview();
    assert.deepEqual([...pv.steps.values()].map((s) => s.op), ["same", "same", "same"], pv.stdout);
    assert.equal(pv.changeSummary.update ?? 0, 0);
    const after = counts();
    for (const r of repos) {
      assert.equal(after[r]!.fetch, before[r]!.fetch, `${r}: no fetch`);
      assert.equal(after[r]!.lsRefs, before[r]!.lsRefs + 1, `${r}: one ls-remote`);
    }
  });

  test("given a new commit, preview shows the new revision and up records it", async () => {
    const sha = await app.commit({ "app.yaml": "app: 2\n" });
    const pv = await preview();
    assert.equal(pv.steps.get("app")?.op, "update", pv.stdout);
    assert.equal(pv.steps.get("app")?.new.artifact.revision, `main@sha1:${sha}`);
    assert.ok(pv.stdout.includes(`main@sha1:${sha}`), "preview --diff prints the new revision");
    assert.equal(pv.steps.get("base")?.op, "same");
    assert.equal((await up()).outputs.app.value.revision, `main@sha1:${sha}`);
  });

  test("given a new tag in the semver range, preview shows it; a tag outside the range changes nothing", async () => {
    const sha = await rel.commit({ "rel.yaml": "rel: 2\n" });
    await rel.tag("v2.0.0");
    assert.equal((await preview()).steps.get("rel")?.op, "same", "v2.0.0 is outside the range");
    await rel.tag("v1.1.0", { commit: sha });
    const pv = await preview();
    assert.equal(pv.steps.get("rel")?.op, "update", pv.stdout);
    assert.ok(pv.stdout.includes(`v1.1.0@sha1:${sha}`), "preview --diff prints the new revision");
  });

  test("given a new commit in an included repository, the includer's artifact changes under the same revision", async () => {
    await up();
    const baseSha = await base.commit({ "deploy/base.yaml": "base: 2\n" });
    const pv = await preview();
    const step = pv.steps.get("app");
    assert.equal(pv.steps.get("base")?.new.artifact.revision, `main@sha1:${baseSha}`);
    assert.equal(step?.op, "update", pv.stdout);
    assert.equal(step.new.artifact.revision, step.old.artifact.revision, "Flux keeps the includer's revision");
    assert.notEqual(step.new.artifact.digest, step.old.artifact.digest, "the artifact changes");
    assert.equal(step.new.includedArtifacts[0].revision, `main@sha1:${baseSha}`);
    const res = await up();
    assert.equal(res.outputs.appIncluded.value[0].revision, `main@sha1:${baseSha}`);
    assert.equal(res.outputs.app.value.digest, step.new.artifact.digest, "up stores what preview showed");
  });
});

/** SIGNED: one GitRepository that must carry an SSH signature from the configured key. */
const SIGNED = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new GitRepository("signed", {
  url: cfg.require("url"),
  ref: { branch: "main" },
  verify: { mode: "HEAD", publicKeys: [cfg.require("key")] },
});
exports.revision = repo.artifact.revision;
exports.mode = repo.sourceVerificationMode;
`;

describe("GitRepository verify under pulumi preview and up", () => {
  let git: GitServer;
  let repo: GitRepo;
  let signer: GitSigner;
  let prog: PulumiProgram;

  before(async () => {
    [git, signer] = await Promise.all([startGitServer(), makeSshSigner(scratch)]);
    repo = await git.createRepo("signed");
    await repo.commit({ "a.yaml": "a: 1\n" }, { sign: signer });
    prog = await pulumiProgram("signed", SIGNED, { config: { url: { value: repo.fileUrl }, key: { value: signer.publicKey } } });
  });
  after(async () => {
    await prog?.cleanup();
    await git?.stop();
  });

  test("a signed commit is applied with sourceVerificationMode HEAD; an unsigned one fails the preview naming verify", async () => {
    const res = await prog.stack.up();
    assert.equal(res.outputs.revision.value, `main@sha1:${await repo.head()}`);
    assert.equal(res.outputs.mode.value, "HEAD");
    const unsigned = await repo.commit({ "a.yaml": "a: 2\n" });
    const err = await prog.stack.preview().then(() => undefined, (e: Error) => e);
    assert.ok(err, "the preview fails");
    assert.match(err.message, new RegExp(`GitRepository "signed": verify \\(mode HEAD\\): commit ${unsigned} has no valid signature from a key in verify\\.publicKeys \\(no signature\\)`));
  });
});
