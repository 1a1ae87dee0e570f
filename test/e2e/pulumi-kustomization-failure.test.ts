// A Kustomization that changed the cluster and then failed, under the real Pulumi engine: the resource
// is recorded as created-but-failed (init errors) WITH the inventory of what was applied, so the next
// up converges (pruning what the failed attempt created) and destroy removes everything.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { stringify } from "yaml";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new GitRepository("fleet", { url: cfg.require("url"), ref: { branch: "main" } });
const ks = new Kustomization("fleet", {
  sourceRef: repo,
  path: cfg.require("path"),
  prune: true,
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.inventory = ks.inventory;
exports.lastAppliedRevision = ks.lastAppliedRevision;
`;

const namespace = (name: string) => stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const configMap = (name: string, ns: string, data: Record<string, string>) => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data });
/** broken is valid YAML that the API server refuses at apply time only: a data key with a space, in a namespace the same build creates (so preview cannot dry-run it). */
const broken = (ns: string) => configMap("broken", ns, { "bad key": "x" });

describe("a Kustomization that fails after applying objects, under pulumi up", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;

  /** namespaceGone is true when the namespace no longer exists or is being deleted. */
  const namespaceGone = (name: string) => core.readNamespace({ name }).then((n) => n.metadata?.deletionTimestamp !== undefined, (e) => (e.code === 404 ? true : Promise.reject(e)));
  const up = () => prog.stack.up({ onOutput: (o) => prog.log.push(o) });
  const failedUp = async () => {
    const err = await up().then(() => undefined, (e: Error) => e);
    assert.ok(err, "up fails");
    return err;
  };
  /** recorded returns the Kustomization's dynamic resource as the engine recorded it in the state. */
  const recorded = async () => {
    const deployment = (await prog.stack.exportStack()).deployment as { resources: { type: string; outputs?: Record<string, any>; initErrors?: string[] }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/kustomize:Kustomization");
    assert.ok(res, "the Kustomization is in the state");
    return res;
  };
  const ids = (res: { outputs?: Record<string, any> }) => (res.outputs?.inventory?.entries ?? []).map((e: { id: string }) => e.id); // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    repo = await git.createRepo("fleet");
    await repo.commit({
      "good/ns.yaml": namespace("pf-a"),
      "good/app.yaml": configMap("app", "pf-a", { v: "1" }),
      "first/ns.yaml": namespace("pf-a"),
      "first/ns-b.yaml": namespace("pf-b"),
      "first/broken.yaml": broken("pf-b"),
      "later/ns.yaml": namespace("pf-a"),
      "later/app.yaml": configMap("app", "pf-a", { v: "2" }),
      "later/ns-c.yaml": namespace("pf-c"),
      "later/broken.yaml": broken("pf-c"),
    });
    prog = await pulumiProgram("ks-failure", PROGRAM, {
      config: { url: { value: repo.fileUrl }, path: { value: "./first" }, kubeconfig: { value: cp.kubeconfig, secret: true } },
    });
  });

  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("a create that applied namespaces then failed is recorded with its inventory", async () => {
    const err = await failedUp();
    assert.match(err.message, /Kustomization "fleet": ConfigMap\/pf-b\/broken apply failed: .*bad key.*Nothing was pruned; the 2 objects applied before the failure are in the inventory/);
    const res = await recorded();
    assert.deepEqual(ids(res), ["_pf-a__Namespace", "_pf-b__Namespace"]);
    assert.equal(res.outputs?.lastAppliedRevision, undefined, "nothing was fully applied yet");
    assert.ok(res.initErrors?.some((e) => e.includes("ConfigMap/pf-b/broken")), `recorded as created but failed: ${JSON.stringify(res.initErrors)}`);
    assert.equal(await namespaceGone("pf-b"), false, "the namespace the failed attempt created exists");
    assert.equal((await prog.rawState()).includes(cp.adminToken), false, "the kubeconfig's token never reaches plain state");
  });

  test("the next up with a fixed input converges and prunes what the failed attempt created", async () => {
    await prog.setConfig({ path: { value: "./good" } });
    const res = await up();
    assert.deepEqual(res.outputs.inventory.value.entries.map((e: { id: string }) => e.id), ["_pf-a__Namespace", "pf-a_app__ConfigMap"]);
    assert.equal(res.outputs.lastAppliedRevision.value, `main@sha1:${await repo.head()}`);
    assert.equal(await namespaceGone("pf-b"), true, "pf-b, known only from the failed attempt's inventory, was pruned");
    assert.equal((await recorded()).initErrors, undefined);
  });

  test("an update that applied objects then failed records them, keeps lastAppliedRevision, and nothing is pruned", async () => {
    const before = (await recorded()).outputs?.lastAppliedRevision;
    await repo.commit({ "README.md": "a new revision\n" });
    await prog.setConfig({ path: { value: "./later" } });
    const err = await failedUp();
    assert.match(err.message, /Kustomization "fleet": ConfigMap\/pf-c\/broken apply failed: .*Nothing was pruned/);
    const res = await recorded();
    assert.deepEqual(ids(res), ["_pf-a__Namespace", "_pf-c__Namespace", "pf-a_app__ConfigMap"]);
    assert.equal(res.outputs?.lastAppliedRevision, before, "a failed reconcile does not move lastAppliedRevision");
    assert.equal(res.outputs?.path, "./later");
    assert.ok(res.initErrors?.length, "recorded as failed");
    assert.equal((await core.readNamespacedConfigMap({ name: "app", namespace: "pf-a" })).data?.v, "2", "the objects applied before the failure are there");
  });

  test("destroy removes everything, including what the failed update created", async () => {
    await prog.stack.destroy({ onOutput: (o) => prog.log.push(o) });
    for (const ns of ["pf-a", "pf-c"]) assert.equal(await namespaceGone(ns), true, `${ns} was deleted`);
  });
});
