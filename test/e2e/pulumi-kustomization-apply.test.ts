// KustomizationArgs of the apply side under the real Pulumi engine: ignore keeps another manager's
// change out of the preview and the apply; deletionPolicy Orphan leaves the objects on destroy.
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
const repo = new GitRepository("tuned", { url: cfg.require("url"), ref: { branch: "main" } });
const ks = new Kustomization("tuned", {
  sourceRef: repo,
  prune: true,
  ignore: [{ paths: ["/data/replicas"], target: { kind: "ConfigMap", labelSelector: "scaled=true" } }],
  deletionPolicy: "Orphan",
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.inventory = ks.inventory;
`;

const configMap = (name: string, labels: Record<string, string>) =>
  stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels }, data: { replicas: "2" } });

describe("KustomizationArgs ignore and deletionPolicy under pulumi up", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  let objects: k8s.KubernetesObjectApi;

  const replicas = async (name: string) => (await core.readNamespacedConfigMap({ name, namespace: "default" })).data?.replicas;
  const scale = (name: string, value: string) =>
    objects.patch({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { replicas: value } } as k8s.KubernetesObject, undefined, undefined, "autoscaler", true, k8s.PatchStrategy.ServerSideApply);
  /** preview runs `pulumi preview` and returns the Kustomization's planned changes. */
  const preview = async () => {
    let plan: Record<string, unknown> | undefined;
    await prog.stack.preview({
      onEvent: (e) => {
        const md = e.resourcePreEvent?.metadata;
        if (md?.type === "pulumi-nodejs:dynamic/kustomize:Kustomization") plan = md.new?.inputs?.plan;
      },
    });
    return plan;
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    repo = await git.createRepo("tuned");
    await repo.commit({ "scaled.yaml": configMap("scaled", { scaled: "true" }), "fixed.yaml": configMap("fixed", {}) });
    prog = await pulumiProgram("ks-apply-args", PROGRAM, { config: { url: { value: repo.fileUrl }, kubeconfig: { value: cp.kubeconfig, secret: true } } });
  });

  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("a field changed by another manager on an ignored path is no drift in preview and is not reverted by up", async () => {
    await prog.stack.up();
    await scale("scaled", "5");
    await scale("fixed", "5");
    const plan = await preview();
    assert.deepEqual(plan?.drifted, ["default_fixed__ConfigMap"], "only the object the rule does not select drifted");
    await prog.stack.up();
    assert.equal(await replicas("scaled"), "5", "the ignored path keeps the other manager's value");
    assert.equal(await replicas("fixed"), "2", "drift elsewhere is corrected");
    assert.deepEqual((await preview())?.drifted, []);
  });

  test("deletionPolicy Orphan leaves the objects in the cluster on destroy", async () => {
    await prog.stack.destroy();
    assert.equal(await replicas("scaled"), "5");
    assert.equal(await replicas("fixed"), "2");
  });
});
