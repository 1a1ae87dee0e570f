// BootstrapGit under the real Pulumi engine, against real Git servers and real API servers: the first
// bootstrap, a no-op second run, the self-management loop, a change of path, a deleted Secret, a rebuilt
// cluster, lost IaC state, destroy, and bad credentials.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fluxComponents } from "../harness/flux-components";
import { must } from "../harness/proc";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";
import { tool } from "../harness/tools";

/** PROGRAM bootstraps the repository of the config and exports what BootstrapGit outputs. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BootstrapGit } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const boot = new BootstrapGit("flux-system", {
  url: cfg.require("url"),
  branch: cfg.get("branch"),
  auth: cfg.requireSecretObject("auth"),
  tls: cfg.getSecretObject("tls"),
  author: { name: "Platform Bot", email: "bot@example.com" },
  path: cfg.get("path") || "clusters/prod",
  kubeconfig: cfg.requireSecret("kubeconfig"),
  generateDeployKey: cfg.getBoolean("deployKey") ? { algorithm: "ecdsa-p384" } : undefined,
  scanKnownHosts: cfg.getBoolean("scanKnownHosts"),
  deleteGitManifests: cfg.getBoolean("deleteGitManifests"),
});
exports.revision = boot.revision;
exports.repositoryFiles = boot.repositoryFiles;
exports.deployKeyPublic = boot.deployKeyPublic;
exports.inventory = boot.kustomization.inventory;
`;

/** CONTROLLERS hands the loop to Flux's controllers: components from a local file, applied with the sync objects, a named Secret. */
const CONTROLLERS = `
const pulumi = require("@pulumi/pulumi");
const { BootstrapGit } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const boot = new BootstrapGit("flux-system", {
  url: cfg.require("url"),
  auth: cfg.requireSecretObject("auth"),
  tls: cfg.getSecretObject("tls"),
  path: "clusters/ctl",
  namespace: "flux-ctl",
  kubeconfig: cfg.requireSecret("kubeconfig"),
  mode: "controllers",
  components: { localPath: cfg.require("components") },
  secretName: cfg.get("secretName"),
  commitMessageAppendix: cfg.get("appendix"),
});
exports.revision = boot.revision;
exports.hasLoop = boot.kustomization !== undefined;
`;

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  from: git\n`;

describe("BootstrapGit under pulumi up, over SSH", () => {
  let cp: ControlPlane;
  let rebuilt: ControlPlane | undefined;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  const engineLog: string[] = [];
  const api = (kubeconfig: string) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    return kc.makeApiClient(k8s.CoreV1Api);
  };
  const count = async () => Number((await must(tool("git"), ["--git-dir", repo.path, "rev-list", "--count", "main"])).trim());
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });
  const exists = (p: Promise<unknown>) => p.then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    repo = await git.createRepo("fleet");
    await repo.commit({ "clusters/prod/app.yaml": configMap("app") });
    prog = await pulumiProgram("boot-ssh", PROGRAM, {
      config: {
        url: { value: repo.sshUrl },
        // No knownHosts: the server's host key is scanned (opt-in) and trusted by the push, the Secret and the loop.
        auth: { value: JSON.stringify({ identity: git.sshIdentity }), secret: true },
        scanKnownHosts: { value: "true" },
        kubeconfig: { value: cp.kubeconfig, secret: true },
        deployKey: { value: "true" },
      },
    });
  });
  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), rebuilt?.stop(), git?.stop()]);
  });

  test("the first up commits the sync manifests, writes the Secret with a new deploy key and the scanned host key, and applies the path", async () => {
    const res = await up();
    assert.equal(res.outputs.revision.value, `main@sha1:${await repo.head()}`);
    assert.equal(await count(), 2);
    assert.deepEqual(Object.keys(res.outputs.repositoryFiles.value).sort(), ["clusters/prod/flux-system/gotk-sync.yaml", "clusters/prod/flux-system/kustomization.yaml"]);
    assert.match(res.outputs.deployKeyPublic.value, /^ecdsa-sha2-nistp384 AAAA/);
    const secret = await api(cp.kubeconfig).readNamespacedSecret({ name: "flux-system", namespace: "flux-system" });
    assert.equal(Buffer.from(secret.data!["identity.pub"], "base64").toString(), res.outputs.deployKeyPublic.value);
    assert.ok(Buffer.from(secret.data!.known_hosts, "base64").toString().includes(git.knownHosts.trim().split(" ").slice(1).join(" ")), "the scanned host key");
    assert.deepEqual(res.outputs.inventory.value.entries, [{ id: "default_app__ConfigMap", v: "v1" }], "the loop applied the path, without Flux's sync objects");
    const state = await prog.rawState();
    const privateKey = Buffer.from(secret.data!.identity, "base64").toString();
    assert.equal(state.includes(privateKey.split("\n")[1]), false, "the deploy key is a secret in state");
    assert.equal(state.includes(git.sshIdentity.trim().split("\n")[1]), false, "the push identity is a secret in state");
    assert.equal(engineLog.join("").includes(privateKey.split("\n")[1]), false, "and never in the engine's output");
  });

  test("a second up changes nothing and makes no commit", async () => {
    const before = await count();
    const pv = await prog.stack.preview();
    assert.equal(pv.changeSummary.update ?? 0, 0, JSON.stringify(pv.changeSummary));
    assert.equal(pv.changeSummary.create ?? 0, 0, JSON.stringify(pv.changeSummary));
    const res = await up();
    assert.equal(res.summary.resourceChanges?.update ?? 0, 0, JSON.stringify(res.summary.resourceChanges));
    assert.equal(await count(), before);
  });

  test("a manifest pushed under the path is applied by the next up", async () => {
    await repo.commit({ "clusters/prod/extra.yaml": configMap("extra") });
    const res = await up();
    assert.deepEqual(res.outputs.inventory.value.entries.map((e: { id: string }) => e.id), ["default_app__ConfigMap", "default_extra__ConfigMap"]);
  });

  test("a deleted Secret shows in preview and is recreated with the same deploy key", async () => {
    const core = api(cp.kubeconfig);
    const key = (await core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })).data!.identity;
    await core.deleteNamespacedSecret({ name: "flux-system", namespace: "flux-system" });
    let plan: Record<string, unknown> | undefined;
    const pv = await prog.stack.preview({
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === "pulumi-nodejs:dynamic/bootstrap:BootstrapGit") plan = md.new?.inputs?.plan;
      },
    });
    assert.equal(pv.changeSummary.update, 1, JSON.stringify(pv.changeSummary));
    assert.deepEqual({ ...plan, revision: undefined }, { revision: undefined, files: [], namespace: "unchanged", secret: "create", cluster: [] }, "preview shows the Secret to create");
    await up();
    assert.equal((await core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })).data!.identity, key);
  });

  test("a change of path moves gotk-sync.yaml and the loop to the new path", async () => {
    await repo.commit({ "clusters/eu/app-eu.yaml": configMap("app-eu") });
    await prog.setConfig({ path: { value: "clusters/eu" } });
    const res = await up();
    assert.match(res.outputs.repositoryFiles.value["clusters/eu/flux-system/gotk-sync.yaml"], /path: \.\/clusters\/eu\n/);
    assert.deepEqual(res.outputs.inventory.value.entries, [{ id: "default_app-eu__ConfigMap", v: "v1" }]);
  });

  test("a rebuilt, empty cluster is bootstrapped again from the repository", async () => {
    rebuilt = await startControlPlane();
    const before = await count();
    await prog.setConfig({ kubeconfig: { value: rebuilt.kubeconfig, secret: true } });
    await up();
    const core = api(rebuilt.kubeconfig);
    assert.ok(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })), "the Secret is back");
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app-eu", namespace: "default" })), "the path is applied");
    assert.equal(await count(), before, "no new commit");
  });

  test("losing the IaC state deletes nothing, and a new stack adopts the bootstrap without a commit", async () => {
    const before = await count();
    const deployKey = (await prog.stack.outputs()).deployKeyPublic.value;
    // The same configuration in a new project: config keys are namespaced by the project name.
    const config = Object.fromEntries(Object.entries(await prog.stack.getAllConfig()).map(([k, v]) => [k.replace(/^boot-ssh:/, ""), v]));
    const fresh = await pulumiProgram("boot-ssh-fresh", PROGRAM, { config });
    try {
      const res = await fresh.stack.up();
      assert.equal(res.outputs.revision.value, `main@sha1:${await repo.head()}`);
      assert.equal(await count(), before);
      assert.equal(res.outputs.deployKeyPublic.value, deployKey, "the deploy key the repository trusts is adopted from the Secret");
    } finally {
      await fresh.stack.workspace.removeStack("test", { force: true });
      await fresh.cleanup();
    }
    const core = api(rebuilt!.kubeconfig);
    assert.ok(await exists(core.readNamespace({ name: "flux-system" })), "the namespace survives");
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app-eu", namespace: "default" })));
  });

  test("destroy with deleteGitManifests removes the files and the Secret, and keeps the namespace and the workloads", async () => {
    await prog.setConfig({ deleteGitManifests: { value: "true" } });
    await up();
    await prog.stack.destroy({ onOutput: (o) => engineLog.push(o) });
    assert.equal((await must(tool("git"), ["--git-dir", repo.path, "log", "-1", "--format=%s", "main"])).trim(), "Remove Flux manifests");
    const core = api(rebuilt!.kubeconfig);
    assert.equal(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })), false);
    assert.ok(await exists(core.readNamespace({ name: "flux-system" })));
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app-eu", namespace: "default" })), "deletionPolicy Orphan, as flux uninstall");
  });
});

describe("BootstrapGit under pulumi up, over HTTPS", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  const config = (password: string) => ({
    url: { value: repo.httpsUrl },
    auth: { value: JSON.stringify({ username: git.httpUser, password }), secret: true },
    tls: { value: JSON.stringify({ caCert: git.caPem }), secret: true },
    kubeconfig: { value: cp.kubeconfig, secret: true },
  });

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    repo = await git.createRepo("fleet-https");
  });
  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("bad credentials fail in preview with a clear error; good ones bootstrap an empty repository, and destroy keeps the files", async () => {
    prog = await pulumiProgram("boot-https", PROGRAM, { config: config("wrong") });
    const err = await prog.stack.preview().then(() => undefined, (e: Error) => e);
    assert.ok(err);
    assert.match(err.message, /BootstrapGit "flux-system": authentication to https:\/\/127\.0\.0\.1:\d+\/fleet-https\.git failed: check the credentials in auth/);
    await assert.rejects(repo.head(), /no branch main/, "the empty repository is unchanged");

    await prog.setConfig(config(git.httpPassword));
    const res = await prog.stack.up();
    assert.equal(res.outputs.revision.value, `main@sha1:${await repo.head()}`);
    assert.deepEqual(res.outputs.inventory.value.entries, [], "a path holding only flux-system/ applies nothing");
    const state = await prog.rawState();
    assert.equal(state.includes(git.httpPassword), false, "the password never reaches plain state");
    await prog.stack.destroy();
    assert.ok(await must(tool("git"), ["--git-dir", repo.path, "show", "main:clusters/prod/flux-system/gotk-sync.yaml"]), "the files stay without deleteGitManifests");
  });

  test("controllers mode applies the components and the sync objects with a named Secret, plans nothing on a second run, moves the Secret on a rename, and destroy removes the sync objects", async () => {
    const ctl = await git.createRepo("fleet-ctl");
    const components = join(scratch, "gotk-components.yaml");
    writeFileSync(components, fluxComponents("v2.8.5", "flux-ctl"));
    const appendix = "Signed-off-by: Platform Bot <bot@example.com>";
    const ctlConfig = (secretName: string) => ({ ...config(git.httpPassword), url: { value: ctl.httpsUrl }, components: { value: components }, secretName: { value: secretName }, appendix: { value: appendix } });
    const p = await pulumiProgram("boot-ctl", CONTROLLERS, { config: ctlConfig("git-creds") });
    try {
      const res = await p.stack.up();
      assert.equal(res.outputs.hasLoop.value, false, "Flux's controllers reconcile, not fluxiac");
      assert.equal((await must(tool("git"), ["--git-dir", ctl.path, "log", "--format=%s", "main"])).trim(), "Add Flux sync manifests\nAdd Flux v2.8.5 component manifests");
      assert.equal((await must(tool("git"), ["--git-dir", ctl.path, "log", "-1", "--format=%B", "main"])).trim(), `Add Flux sync manifests\n\n${appendix}`);
      const kc = new k8s.KubeConfig();
      kc.loadFromString(cp.kubeconfig);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const coreApi = kc.makeApiClient(k8s.CoreV1Api);
      const gitRepository = () => custom.getNamespacedCustomObject({ group: "source.toolkit.fluxcd.io", version: "v1", namespace: "flux-ctl", plural: "gitrepositories", name: "flux-system" });
      const secretExists = (name: string) => coreApi.readNamespacedSecret({ name, namespace: "flux-ctl" }).then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
      assert.deepEqual((await gitRepository()).spec.secretRef, { name: "git-creds" });
      assert.deepEqual([await secretExists("git-creds"), await secretExists("flux-system")], [true, false]);
      const ks = await custom.getNamespacedCustomObject({ group: "kustomize.toolkit.fluxcd.io", version: "v1", namespace: "flux-ctl", plural: "kustomizations", name: "flux-system" });
      assert.equal(ks.spec.path, "./clusters/ctl");
      const pv = await p.stack.preview();
      assert.equal(pv.changeSummary.update ?? 0, 0, JSON.stringify(pv.changeSummary));
      await p.setConfig(ctlConfig("git-creds-2"));
      await p.stack.up();
      assert.deepEqual((await gitRepository()).spec.secretRef, { name: "git-creds-2" }, "the applied GitRepository follows the rename");
      assert.deepEqual([await secretExists("git-creds-2"), await secretExists("git-creds")], [true, false], "the old Secret fluxiac created is removed");
      await p.stack.destroy();
      await assert.rejects(
        custom.getNamespacedCustomObject({ group: "kustomize.toolkit.fluxcd.io", version: "v1", namespace: "flux-ctl", plural: "kustomizations", name: "flux-system" }),
        (e: { code?: number }) => e.code === 404,
      );
    } finally {
      await p.cleanup();
    }
  });
});
