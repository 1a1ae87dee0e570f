// Pure logic of the Git source: ls-remote parsing, semver constraints, revisions, errors, credentials.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyGitError, commitOfRevision, parseLsRemote, toSemverRange } from "../../src/core/source/git";
import { gitEnv, isSshUrl, maskSecrets } from "../../src/core/source/git-auth";
import { targetOfRevision, validateGitRepository } from "../../src/core/reconcile/git-repository";
import { parseDuration } from "../../src/core/duration";

const A = "a".repeat(40);
const B = "b".repeat(40);

test("ls-remote output maps refs to commits, peeling annotated tags", () => {
  const refs = parseLsRemote(`${A}\trefs/heads/main\n${B}\trefs/tags/v1.0.0\n${A}\trefs/tags/v1.0.0^{}\n`);
  assert.equal(refs.get("refs/heads/main"), A);
  assert.equal(refs.get("refs/tags/v1.0.0"), A);
});

test("Masterminds constraints translate to node-semver ranges", () => {
  assert.equal(toSemverRange(">= 1.0, < 2.0"), ">= 1.0 < 2.0");
  assert.equal(toSemverRange("~1.2 || ^2.0"), "~1.2 || ^2.0");
});

test("revisions carry the commit in Flux's formats", () => {
  assert.equal(commitOfRevision(`main@sha1:${A}`), A);
  assert.equal(commitOfRevision(`sha1:${A}`), A);
  assert.equal(commitOfRevision(`refs/pull/1/head@sha1:${A}`), A);
  assert.equal(commitOfRevision("main@sha256:abc"), undefined);
  assert.deepEqual(targetOfRevision({ url: "x", ref: { tag: "v1" } }, `v1@sha1:${A}`), { commit: A, fetchRef: "refs/tags/v1", revision: `v1@sha1:${A}` });
  assert.deepEqual(targetOfRevision({ url: "x" }, `main@sha1:${A}`)?.fetchRef, "refs/heads/main");
});

test("git failures become actionable messages", () => {
  assert.match(classifyGitError("ssh://h/r", "Host key verification failed.").message, /knownHosts/);
  assert.equal(classifyGitError("https://h/r", "fatal: Authentication failed for 'https://h/r'").reason, "AuthenticationFailed");
  assert.match(classifyGitError("https://h/r", "fatal: unable to access: Could not resolve host: h").message, /unreachable/);
});

test("credentials never reach argv or messages", async () => {
  const env = await gitEnv("https://h/r.git", { username: "u", password: "p4ss" });
  try {
    assert.equal(env.env.GIT_CONFIG_KEY_0, "http.extraHeader");
    assert.match(env.env.GIT_CONFIG_VALUE_0, /^Authorization: Basic /);
    assert.equal(maskSecrets(`failed p4ss ${env.env.GIT_CONFIG_VALUE_0} https://u:p4ss@h/r`, env.secrets).includes("p4ss"), false);
  } finally {
    await env.cleanup();
  }
  assert.equal(isSshUrl("git@github.com:org/repo.git"), true);
  assert.equal(isSshUrl("https://github.com/org/repo.git"), false);
});

test("GitRepository validation names the field", () => {
  assert.deepEqual(validateGitRepository({ url: "ftp://x" }).map((p) => p.property), ["url"]);
  assert.deepEqual(validateGitRepository({ url: "https://x", ref: { commit: "abc" } }).map((p) => p.property), ["ref.commit"]);
  assert.deepEqual(validateGitRepository({ url: "https://x" }), []);
});

test("durations parse like Go's", () => {
  assert.equal(parseDuration("1h30m", "timeout"), 5_400_000);
  assert.equal(parseDuration("90s", "timeout"), 90_000);
  assert.throws(() => parseDuration("5 minutes", "timeout"), /timeout: "5 minutes" is not a duration/);
});
