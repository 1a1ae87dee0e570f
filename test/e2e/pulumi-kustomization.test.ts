// The first GitOps loop end to end: a real Git server, a real control plane, the real Pulumi engine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

const NS = "apps";

/** PROGRAM is the test's Pulumi program: one GitRepository and one Kustomization, driven by config. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new GitRepository("apps", {
  url: cfg.require("url"),
  ref: { branch: cfg.get("branch") || "main" },
  auth: cfg.getSecretObject("auth"),
});
const ks = new Kustomization("apps", {
  sourceRef: repo,
  path: cfg.get("path") || "./deploy",
  prune: true,
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.revision = repo.artifact.revision;
exports.digest = repo.artifact.digest;
exports.inventory = ks.inventory;
exports.lastAppliedRevision = ks.lastAppliedRevision;
`;

const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}\n`;
const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: fluxiac-e2e-reader\nrules:\n- apiGroups: [""]\n  resources: ["configmaps"]\n  verbs: ["get"]\n`;

describe("GitRepository + Kustomization under pulumi up", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  let rbac: k8s.RbacAuthorizationV1Api;
  const engineLog: string[] = [];

  const cm = (name: string) => core.readNamespacedConfigMap({ name, namespace: NS });
  const exists = (name: string) => cm(name).then(() => true, (e) => (e.code === 404 ? false : Promise.reject(e)));
  const httpConfig = () => ({
    url: { value: repo.httpUrl },
    auth: { value: JSON.stringify({ username: git.httpUser, password: git.httpPassword }), secret: true },
    kubeconfig: { value: cp.kubeconfig, secret: true },
  });
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });
  /** preview runs `pulumi preview --diff` and also returns the Kustomization's planned inputs. */
  const preview = async () => {
    let plan: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await prog.stack.preview({
      diff: true,
      onOutput: (o) => engineLog.push(o),
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === "pulumi-nodejs:dynamic/kustomize:Kustomization") plan = md.new?.inputs?.plan;
      },
    });
    return { ...res, plan };
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    repo = await git.createRepo("fleet");
    await repo.commit({
      "deploy/a.yaml": configMap("a", { color: "blue" }),
      "deploy/b.yaml": configMap("b", { size: "small" }),
      "deploy/c.yaml": configMap("c", { shape: "round" }),
      "deploy/role.yaml": clusterRole,
      "deploy/notes.yaml": "just: some values\n",
      "README.md": "not a manifest\n",
    });
    prog = await pulumiProgram("fleet", PROGRAM, { config: httpConfig() });
  });

  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("first apply over HTTP with basic auth applies the objects with field manager fluxiac", async () => {
    const res = await up();
    const head = await repo.head();
    assert.equal(res.outputs.revision.value, `main@sha1:${head}`);
    assert.equal(res.outputs.lastAppliedRevision.value, `main@sha1:${head}`);
    assert.match(res.outputs.digest.value, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      res.outputs.inventory.value.entries,
      [
        { id: "_fluxiac-e2e-reader_rbac.authorization.k8s.io_ClusterRole", v: "v1" },
        { id: "apps_a__ConfigMap", v: "v1" },
        { id: "apps_b__ConfigMap", v: "v1" },
        { id: "apps_c__ConfigMap", v: "v1" },
      ],
    );
    const a = await cm("a");
    assert.equal(a.data?.color, "blue");
    assert.ok(a.metadata?.managedFields?.some((f) => f.manager === "fluxiac" && f.operation === "Apply"), "managed by fluxiac");
    assert.equal(a.metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "apps");
    assert.ok(await rbac.readClusterRole({ name: "fluxiac-e2e-reader" }));
    const state = await prog.rawState();
    assert.ok(state.includes("apps_a__ConfigMap"), "the state was read");
    assert.equal(state.includes(git.httpPassword), false, "the Git password never reaches plain state");
    assert.equal(state.includes(cp.adminToken), false, "the kubeconfig's token never reaches plain state");
    assert.equal(engineLog.join("").includes(git.httpPassword), false, "nor the engine's output");
  });

  test("a new commit that changes one object and removes another shows in preview, then applies and prunes", async () => {
    const cBefore = (await cm("c")).metadata!.resourceVersion;
    const sha = await repo.commit({ "deploy/a.yaml": configMap("a", { color: "green" }), "deploy/b.yaml": null });
    const pv = await preview();
    assert.equal(pv.changeSummary.update, 2, `the GitRepository and the Kustomization change: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.ok(pv.stdout.includes(`main@sha1:${sha}`), "preview shows the new revision");
    assert.deepEqual(pv.plan, { revision: `main@sha1:${sha}`, create: [], update: ["apps_a__ConfigMap"], prune: ["apps_b__ConfigMap"], drifted: [], skipped: [], unchanged: 2 });
    assert.equal((await cm("a")).data?.color, "blue", "preview changed nothing");

    const res = await up();
    assert.equal(res.outputs.lastAppliedRevision.value, `main@sha1:${sha}`);
    assert.equal((await cm("a")).data?.color, "green");
    assert.equal(await exists("b"), false, "b was pruned");
    assert.equal((await cm("c")).metadata!.resourceVersion, cBefore, "an unchanged object keeps its resourceVersion");
  });

  test("drift made by hand shows in preview and up restores it", async () => {
    await core.patchNamespacedConfigMap(
      { name: "a", namespace: NS, body: { data: { color: "hand-edited" } }, fieldManager: "kubectl-edit" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const pv = await preview();
    assert.ok((pv.changeSummary.update ?? 0) >= 1, `drift is a change: ${JSON.stringify(pv.changeSummary)}`);
    assert.deepEqual(pv.plan?.drifted, ["apps_a__ConfigMap"]);
    assert.deepEqual(pv.plan?.update, []);
    assert.equal((await cm("a")).data?.color, "hand-edited");
    await up();
    assert.equal((await cm("a")).data?.color, "green");
    const again = await preview();
    assert.equal(again.changeSummary.update ?? 0, 0, `no change after up: ${JSON.stringify(again.changeSummary)}\n${again.stdout}`);
  });

  describe("bad input fails naming the resource and leaves the cluster untouched", () => {
    const cases: [string, () => Record<string, { value: string; secret?: boolean }>, RegExp][] = [
      ["an unknown branch", () => ({ ...httpConfig(), branch: { value: "no-such-branch" } }), /GitRepository "apps": branch "no-such-branch" was not found/],
      ["a wrong password", () => ({ ...httpConfig(), auth: { value: JSON.stringify({ username: git.httpUser, password: "wrong" }), secret: true } }), /GitRepository "apps": authentication to .* failed/],
      ["a path that does not exist", () => ({ ...httpConfig(), path: { value: "./missing" } }), /Kustomization "apps": path "\.\/missing" not found in artifact main@sha1:[0-9a-f]{40}/],
    ];
    for (const [what, config, message] of cases) {
      test(what, async () => {
        const before = (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`);
        await prog.stack.removeConfig("branch").catch(() => {});
        await prog.stack.removeConfig("path").catch(() => {});
        await prog.setConfig(config());
        const err = await up().then(() => undefined, (e: Error) => e);
        assert.ok(err, "up fails");
        assert.match(err.message, message);
        assert.equal(err.message.includes("wrong") && /password.*wrong/.test(err.message), false, "the password is not echoed");
        const afterList = (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`);
        assert.deepEqual(afterList, before, "nothing was applied or pruned");
        await prog.stack.removeConfig("branch").catch(() => {});
        await prog.stack.removeConfig("path").catch(() => {});
        await prog.setConfig(httpConfig());
      });
    }
  });

  test("destroy removes exactly the objects in the inventory", async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "hand-made" }, data: { x: "y" } } });
    await prog.stack.destroy({ onOutput: (o) => engineLog.push(o) });
    assert.equal(await exists("a"), false);
    assert.equal(await exists("c"), false);
    await assert.rejects(rbac.readClusterRole({ name: "fluxiac-e2e-reader" }), (e: { code?: number }) => e.code === 404);
    assert.equal(await exists("hand-made"), true, "objects outside the inventory survive");
    assert.ok(await core.readNamespace({ name: NS }), "the namespace fluxiac did not create survives");
  });
});

describe("GitRepository over SSH", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    repo = await git.createRepo("fleet-ssh");
    await repo.commit({ "deploy/a.yaml": configMap("ssh-a", { via: "ssh" }) });
    prog = await pulumiProgram("fleet-ssh", PROGRAM, {
      config: {
        url: { value: repo.sshUrl },
        kubeconfig: { value: cp.kubeconfig, secret: true },
      },
    });
  });

  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("an unknown host key is refused", async () => {
    const otherKey = git.knownHosts.replace(/ssh-ed25519 \S+/, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
    await prog.setConfig({ auth: { value: JSON.stringify({ identity: git.sshIdentity, knownHosts: otherKey }), secret: true } });
    const err = await prog.stack.up().then(() => undefined, (e: Error) => e);
    assert.ok(err);
    assert.match(err.message, /GitRepository "apps": the SSH host key of .* is not trusted/);
  });

  test("applies with an identity checked against known_hosts", async () => {
    await prog.setConfig({ auth: { value: JSON.stringify({ identity: git.sshIdentity, knownHosts: git.knownHosts }), secret: true } });
    const res = await prog.stack.up();
    assert.equal(res.outputs.revision.value, `main@sha1:${await repo.head()}`);
    assert.deepEqual(res.outputs.inventory.value.entries, [{ id: "apps_ssh-a__ConfigMap", v: "v1" }]);
  });
});
