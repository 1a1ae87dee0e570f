// BootstrapGit's "controllers" mode against a real API server (Flux's components applied with the staged
// server-side apply, the wait with status written by the test, as there is no kubelet), components from a
// local directory and from a fluxiac source artifact, commit signing, deploy-key generation, and the import
// of a namespace bootstrapped without fluxiac's annotations.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { generateDeployKey, scanKnownHosts } from "../../src/core/bootstrap/deploy-key";
import { importBootstrapGit } from "../../src/core/reconcile/bootstrap-git-import";
import { applyBootstrapGit, deleteBootstrapGit, planBootstrapGit } from "../../src/core/reconcile/bootstrap-git";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import type { BootstrapGitSpec } from "../../src/core/bootstrap/types";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { fluxComponents } from "../harness/flux-components";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must, run } from "../harness/proc";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("deploy keys", () => {
  const cases: [("ecdsa-p384" | "ed25519")[], RegExp, RegExp][] = [
    [["ecdsa-p384"], /^ecdsa-sha2-nistp384 AAAA\S+ fluxiac$/, /^384 SHA256:\S+ fluxiac \(ECDSA\)$/],
    [["ed25519"], /^ssh-ed25519 AAAA\S+ fluxiac$/, /^256 SHA256:\S+ fluxiac \(ED25519\)$/],
    [[], /^ecdsa-sha2-nistp384 /, /^384 .*\(ECDSA\)$/],
  ];
  for (const [args, publicKey, fingerprint] of cases) {
    test(`generateDeployKey(${args.join()}) makes a key ssh-keygen reads, of the right algorithm and curve`, async () => {
      const key = generateDeployKey(...args);
      assert.match(key.publicKey, publicKey);
      assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const dir = mkdtempSync(join(scratch, "key-"));
      writeFileSync(join(dir, "id.pub"), `${key.publicKey}\n`);
      writeFileSync(join(dir, "id"), key.privateKey, { mode: 0o600 });
      assert.match((await must(tool("ssh-keygen"), ["-l", "-f", join(dir, "id.pub")])).trim(), fingerprint);
      // The private key derives the same public key.
      assert.equal((await must(tool("ssh-keygen"), ["-y", "-f", join(dir, "id")])).trim().split(" ").slice(0, 2).join(" "), key.publicKey.split(" ").slice(0, 2).join(" "));
      assert.notEqual(generateDeployKey(...args).privateKey, key.privateKey, "every call makes a new key");
    });
  }
});

describe("BootstrapGit controllers mode", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let custom: k8s.CustomObjectsApi;
  let apps: k8s.AppsV1Api;
  let repo: GitRepo;
  const ctx = () => ({ store: new ArtifactStore(join(scratch, "store")), log: silentLogger });
  const bare = (repo: GitRepo, ...args: string[]) => must(tool("git"), ["--git-dir", repo.path, ...args]);
  const spec = (repo: GitRepo, extra: Partial<BootstrapGitSpec> = {}): BootstrapGitSpec => ({
    url: repo.sshUrl,
    auth: { identity: git.sshIdentity, knownHosts: git.knownHosts },
    author: { name: "Platform Bot", email: "bot@example.com" },
    path: "clusters/prod",
    cluster: { kubeconfig: cp.kubeconfig },
    mode: "controllers",
    ...extra,
  });
  const readCR = (group: string, plural: string) => custom.getNamespacedCustomObject({ group, version: "v1", namespace: "flux-system", plural, name: "flux-system" });
  const markReady = async (group: string, plural: string, revision: string) => {
    const cr = await readCR(group, plural);
    const reached = plural === "gitrepositories" ? { artifact: { revision } } : { lastAppliedRevision: revision };
    await custom.patchNamespacedCustomObjectStatus(
      { group, version: "v1", namespace: "flux-system", plural, name: "flux-system", body: { status: { ...reached, observedGeneration: cr.metadata.generation, conditions: [{ type: "Ready", status: "True", reason: "Succeeded", message: "ok", lastTransitionTime: new Date().toISOString() }] } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("components from a local directory are committed with Flux's header, then applied with the sync objects", async () => {
    repo = await git.createRepo("fleet-ctl");
    const dir = join(scratch, "components");
    mkdirSync(dir);
    writeFileSync(join(dir, "gotk-components.yaml"), fluxComponents("v2.8.5"));
    const s = spec(repo, { components: { localPath: dir } });
    const plan = await planBootstrapGit("flux-system", s, undefined, ctx());
    assert.ok(plan.changes.cluster.includes("CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io"), plan.changes.cluster.join());
    assert.ok(plan.changes.cluster.includes("Kustomization/flux-system/flux-system"), plan.changes.cluster.join());

    const res = await applyBootstrapGit("flux-system", s, undefined, ctx());
    assert.equal(res.commits, 2);
    assert.deepEqual((await bare(repo, "log", "--format=%s", "main")).trim().split("\n"), ["Add Flux sync manifests", "Add Flux v2.8.5 component manifests"]);
    const components = await bare(repo, "show", "main:clusters/prod/flux-system/gotk-components.yaml");
    assert.ok(components.startsWith("# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: v2.8.5\n"), components.slice(0, 120));
    assert.equal(await bare(repo, "show", "main:clusters/prod/flux-system/kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n");
    const ks = await readCR("kustomize.toolkit.fluxcd.io", "kustomizations");
    assert.deepEqual(ks.spec, { interval: "10m0s", path: "./clusters/prod", prune: true, sourceRef: { kind: "GitRepository", name: "flux-system" } });
    assert.equal(ks.metadata.labels["kustomize.toolkit.fluxcd.io/name"], "flux-system");
    const gr = await readCR("source.toolkit.fluxcd.io", "gitrepositories");
    assert.deepEqual(gr.spec.secretRef, { name: "flux-system" });
    assert.ok(await apps.readNamespacedDeployment({ name: "kustomize-controller", namespace: "flux-system" }));

    const again = await planBootstrapGit("flux-system", s, res.status, ctx());
    assert.deepEqual(again.changes, { files: [], namespace: "unchanged", secret: "unchanged", cluster: [] });
  });

  test("wait fails naming what is not ready, and succeeds once the controllers report Ready", async () => {
    const s = spec(repo, { components: { localPath: join(scratch, "components") }, wait: true, waitTimeout: "3s" });
    await assert.rejects(applyBootstrapGit("flux-system", s, undefined, ctx()), /BootstrapGit "flux-system": not ready after 3s: .*GitRepository\/flux-system\/flux-system/);
    const revision = `main@sha1:${await repo.head()}`;
    await markReady("source.toolkit.fluxcd.io", "gitrepositories", "main@sha1:0000000000000000000000000000000000000000");
    await markReady("kustomize.toolkit.fluxcd.io", "kustomizations", revision);
    await assert.rejects(applyBootstrapGit("flux-system", s, undefined, ctx()), /not ready after 3s: GitRepository\/flux-system\/flux-system/, "Ready at another revision is not ready");
    await markReady("source.toolkit.fluxcd.io", "gitrepositories", revision);
    const res = await applyBootstrapGit("flux-system", { ...s, waitTimeout: "30s" }, undefined, ctx());
    assert.equal(res.commits, 0);
  });

  test("a flux-system Kustomization that syncs another path is someone else's bootstrap", async () => {
    const repo = await git.createRepo("fleet-other");
    await assert.rejects(
      applyBootstrapGit("flux-system", spec(repo, { path: "clusters/dev", components: { localPath: join(scratch, "components") } }), undefined, ctx()),
      /path "clusters\/dev": namespace "flux-system" of this cluster is already bootstrapped from path "clusters\/prod"/,
    );
    await assert.rejects(repo.head(), /no branch main/, "nothing was pushed");
  });

  test("import reads a namespace the flux CLI bootstrapped from Flux's own sync objects and the Secret they name", async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // What `flux bootstrap` leaves: a Secret without fluxiac's annotations.
    const annotations = Object.fromEntries(["path", "url", "branch", "created"].map((a) => [`fluxiac.dev/bootstrap-${a}`, null]));
    await core.patchNamespacedSecret({ name: "flux-system", namespace: "flux-system", body: { metadata: { annotations } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    const imported = await importBootstrapGit("flux-system", "flux-system", { kubeconfig: cp.kubeconfig }, ctx());
    assert.deepEqual(imported.spec, { url: repo.sshUrl, path: "clusters/prod", branch: "main", secretName: "flux-system", auth: { identity: git.sshIdentity, knownHosts: git.knownHosts } });
    assert.equal(imported.revision, `main@sha1:${await repo.head()}`);
    assert.deepEqual(Object.keys(imported.repositoryFiles).sort(), ["clusters/prod/flux-system/gotk-components.yaml", "clusters/prod/flux-system/gotk-sync.yaml", "clusters/prod/flux-system/kustomization.yaml"]);
  });

  test("destroy drops the sync objects and keeps the namespace and the controllers", async () => {
    await deleteBootstrapGit("flux-system", spec(repo, { components: { localPath: join(scratch, "components") } }), ctx());
    await assert.rejects(readCR("kustomize.toolkit.fluxcd.io", "kustomizations"), (e: { code?: number }) => e.code === 404);
    await assert.rejects(readCR("source.toolkit.fluxcd.io", "gitrepositories"), (e: { code?: number }) => e.code === 404);
    assert.ok(await apps.readNamespacedDeployment({ name: "kustomize-controller", namespace: "flux-system" }));
  });

  test("commits are signed with a PGP secret key", async () => {
    const home = mkdtempSync(join(scratch, "gpg-"));
    const env = { ...process.env, GNUPGHOME: home };
    await must(tool("gpg"), ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Platform Bot <bot@example.com>", "ed25519", "sign", "never"], { env });
    const key = await must(tool("gpg"), ["--batch", "--armor", "--export-secret-keys"], { env });
    await must("gpgconf", ["--kill", "all"], { env }).catch(() => "");
    const signed = await git.createRepo("fleet-pgp");
    const res = await applyBootstrapGit("flux-system", spec(signed, { namespace: "flux-pgp", mode: "fluxiac", signing: { format: "openpgp", key } }), undefined, ctx());
    assert.equal(res.commits, 1);
    assert.match(await bare(signed, "cat-file", "commit", "main"), /gpgsig -----BEGIN PGP SIGNATURE-----/);
    const verified = await run(tool("git"), ["--git-dir", signed.path, "verify-commit", "--raw", "main"], { env });
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stderr, /GOODSIG/);
  });

  test("components from a fluxiac source artifact, a signed commit, a generated deploy key and scanned known_hosts", async () => {
    const manifests = await git.createRepo("flux-manifests");
    await manifests.commit({ "install/gotk-components.yaml": fluxComponents("v2.9.0", "flux-edge") });
    const srcSpec = { url: manifests.httpsUrl, auth: { username: git.httpUser, password: git.httpPassword }, tls: { caCert: git.caPem }, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("flux-manifests", srcSpec, undefined, ctx());
    const repo = await git.createRepo("fleet-edge");
    const signer = mkdtempSync(join(scratch, "signer-"));
    await must(tool("ssh-keygen"), ["-q", "-t", "ed25519", "-N", "", "-C", "bot", "-f", join(signer, "id")]);
    const deployKey = generateDeployKey("ed25519");
    const s = spec(repo, {
      namespace: "flux-edge",
      mode: "fluxiac",
      auth: { identity: git.sshIdentity },
      scanKnownHosts: true,
      deployKey,
      signing: { format: "ssh", key: (await must("cat", [join(signer, "id")])) },
      components: { sourceRef: { kind: "GitRepository", name: "flux-manifests", spec: srcSpec, artifact }, path: "install" },
    });
    const res = await applyBootstrapGit("flux-system", s, undefined, ctx());
    assert.equal(res.commits, 2);
    assert.match(await bare(repo, "show", "main:clusters/prod/flux-system/gotk-components.yaml"), /^# This manifest was generated by flux\. DO NOT EDIT\.\n# Flux Version: v2\.9\.0\n/);
    assert.match(await bare(repo, "cat-file", "commit", "main"), /gpgsig -----BEGIN SSH SIGNATURE-----/);
    const sec = new k8s.KubeConfig();
    sec.loadFromString(cp.kubeconfig);
    const data = (await sec.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: "flux-system", namespace: "flux-edge" })).data!;
    const text = (k: string) => Buffer.from(data[k], "base64").toString();
    assert.equal(text("identity"), deployKey.privateKey, "the deploy key, not the push identity");
    assert.equal(text("identity.pub"), deployKey.publicKey);
    const serverKey = git.knownHosts.trim().split(" ").slice(1).join(" ");
    assert.ok(text("known_hosts").includes(serverKey), "ssh-keyscan found the server's host key");
    assert.ok((await scanKnownHosts(repo.sshUrl)).includes(serverKey));
  });
});
