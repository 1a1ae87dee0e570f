// Pure logic of the Git source: ls-remote parsing, semver constraints, revisions, errors, credentials.
import { test } from "node:test";
import assert from "node:assert/strict";
import { commitOfRevision, parseLsRemote } from "../../src/core/source/git-resolve";
import { selectSemverTag } from "../../src/core/source/oci/resolve";
import { classifyGitError, firstLine } from "../../src/core/source/git-run";
import { gitEnv, isSshUrl, maskSecrets } from "../../src/core/source/git-auth";
import { targetOfRevision, validateGitRepository } from "../../src/core/reconcile/git-repository";
import { parseDuration } from "../../src/core/duration";
import { includePathProblem } from "../../src/core/source/git-include";
import { parseVerificationKeys, verifyModeProblem } from "../../src/core/source/git-verify";
import { readFile, stat } from "node:fs/promises";
import { rootCertificates } from "node:tls";

const A = "a".repeat(40);
const B = "b".repeat(40);

test("ls-remote output maps refs to commits, peeling annotated tags", () => {
  const refs = parseLsRemote(`${A}\trefs/heads/main\n${B}\trefs/tags/v1.0.0\n${A}\trefs/tags/v1.0.0^{}\n`);
  assert.equal(refs.get("refs/heads/main"), A);
  assert.equal(refs.get("refs/tags/v1.0.0"), A);
});

test("semver refs follow Masterminds, as Flux: v prefixes, partial versions, commas, prereleases only when asked", () => {
  assert.equal(selectSemverTag(["v1.0.0", "v1.2", "1.3.0-rc.1", "2.0.0"], ">= 1.0, < 2.0"), "v1.2");
  assert.equal(selectSemverTag(["1.2.0", "1.3.0-rc.1"], ">= 1.3.0-rc.0"), "1.3.0-rc.1");
  assert.equal(selectSemverTag(["1.2.0_build.1", "latest"], "1.2.0"), "1.2.0_build.1");
  assert.equal(selectSemverTag(["1.0.0", "1.1.0"], "!= 1.1.0"), "1.0.0");
  assert.equal(selectSemverTag(["1.0.0", "1.1.0"], ">= 1.0", "^1\\.0"), "1.0.0");
  assert.equal(selectSemverTag(["0.9.0"], ">= 1.0"), undefined);
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
  assert.match(classifyGitError("https://h/r", "fatal: unable to access 'https://h/r/': SSL certificate problem: unable to get local issuer certificate").message, /not trusted: set tls\.caCert/);
  assert.match(classifyGitError("https://h/r", "Cloning into 'lib'...\nfatal: transport 'file' not allowed\nfatal: clone of 'file:///x' failed").message, /uses the file transport.*\.gitmodules/);
  assert.equal(firstLine("Submodule 'lib' registered\nerror: one\nfatal: two"), "two");
});

test("credentials never reach argv or messages", async () => {
  const env = await gitEnv("https://h/r.git", { username: "u", password: "p4ss" });
  try {
    // The header is scoped to the repository's origin: submodules on other hosts never receive it.
    assert.equal(env.env.GIT_CONFIG_KEY_0, "http.https://h/.extraHeader");
    assert.match(env.env.GIT_CONFIG_VALUE_0, /^Authorization: Basic /);
    assert.equal(maskSecrets(`failed p4ss ${env.env.GIT_CONFIG_VALUE_0} https://u:p4ss@h/r`, env.secrets).includes("p4ss"), false);
  } finally {
    await env.cleanup();
  }
  assert.equal(isSshUrl("git@github.com:org/repo.git"), true);
  assert.equal(isSshUrl("https://github.com/org/repo.git"), false);
});

test("TLS material reaches git as 0600 files named in GIT_CONFIG_*, never in argv", async () => {
  const ca = "-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----";
  const env = await gitEnv("https://h/r.git", { bearerToken: "t0ken" }, { tls: { caCert: ca, cert: "CERT", key: "KEY" }, stallSeconds: 7 });
  try {
    const config = Object.fromEntries(
      Array.from({ length: Number(env.env.GIT_CONFIG_COUNT) }, (_, i) => [env.env[`GIT_CONFIG_KEY_${i}`], env.env[`GIT_CONFIG_VALUE_${i}`]]),
    );
    assert.equal(config["http.https://h/.extraHeader"], "Authorization: Bearer t0ken");
    const caFile = config["http.sslCAInfo"]!;
    assert.equal((await stat(caFile)).mode & 0o777, 0o600);
    const bundle = await readFile(caFile, "utf8");
    assert.ok(bundle.includes("TESTCA") && bundle.includes(rootCertificates[0]!), "the CA is added to the default trust");
    assert.equal(await readFile(config["http.sslKey"]!, "utf8"), "KEY\n");
    assert.equal(config["http.lowSpeedTime"], "7");
    assert.deepEqual(env.secrets, ["t0ken", "KEY"]);
  } finally {
    await env.cleanup();
  }
  const ssh = await gitEnv("ssh://git@h/r.git", undefined, { stallSeconds: 3 });
  assert.match(ssh.env.GIT_SSH_COMMAND!, /-o ConnectTimeout=3 /);
});

test("include paths stay inside the tree", () => {
  const cases: [string | undefined, boolean][] = [[undefined, true], ["", true], ["a/b", true], ["./a", true], ["../a", false], ["a/../../b", false], ["/etc", false], ["a\\b", false]];
  for (const [path, ok] of cases) assert.equal(includePathProblem(path, "include[0].toPath") === undefined, ok, String(path));
});

test("verify keys are PGP blocks or SSH keys; the mode must fit the ref", () => {
  const pgp = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDME\n-----END PGP PUBLIC KEY BLOCK-----\n";
  const { keys, problems } = parseVerificationKeys([pgp, "ssh-ed25519 AAAAC3Nza me@host\n# comment"]);
  assert.deepEqual(problems, []);
  assert.equal(keys.pgp.length, 1);
  assert.deepEqual(keys.ssh, ["ssh-ed25519 AAAAC3Nza"]);
  assert.match(parseVerificationKeys(["not a key"]).problems[0]!, /verify.publicKeys\[0\]/);
  assert.equal(verifyModeProblem({ mode: "HEAD", publicKeys: [pgp] }, false), undefined);
  assert.match(verifyModeProblem({ mode: "Tag", publicKeys: [pgp] }, false)!, /set ref.tag or ref.semver/);
  assert.match(verifyModeProblem({ mode: "head" as "HEAD", publicKeys: [pgp] }, false)!, /must be HEAD, Tag or TagAndHEAD/);
});

test("GitRepository validation names the field", () => {
  const inc = (toPath: string) => ({ repository: { kind: "GitRepository" as const, name: "lib", spec: { url: "https://x" }, artifact: { revision: "r", digest: "d", size: 1 } }, toPath });
  assert.deepEqual(validateGitRepository({ url: "https://x", include: [inc("../up")] }).map((p) => p.property), ["include"]);
  assert.deepEqual(validateGitRepository({ url: "http://x", tls: { caCert: "x" } }).map((p) => p.property), ["tls"]);
  assert.deepEqual(validateGitRepository({ url: "https://x", ref: { branch: "main" }, verify: { mode: "Tag", publicKeys: ["ssh-ed25519 AAAA"] } }).map((p) => p.property), ["verify"]);
  assert.deepEqual(validateGitRepository({ url: "https://x", ref: { name: "refs/tags/v1" }, verify: { mode: "Tag", publicKeys: ["ssh-ed25519 AAAA"] } }), []);
  assert.deepEqual(validateGitRepository({ url: "ftp://x" }).map((p) => p.property), ["url"]);
  assert.deepEqual(validateGitRepository({ url: "https://x", ref: { commit: "abc" } }).map((p) => p.property), ["ref.commit"]);
  assert.deepEqual(validateGitRepository({ url: "https://x" }), []);
});

test("durations parse like Go's", () => {
  assert.equal(parseDuration("1h30m", "timeout"), 5_400_000);
  assert.equal(parseDuration("90s", "timeout"), 90_000);
  assert.throws(() => parseDuration("5 minutes", "timeout"), /timeout: "5 minutes" is not a duration/);
});
