// CDKTF end to end: the example app under the real cdktf CLI and real terraform 1.11, with fluxiac's
// provider installed into the implied mirror of a scratch HOME, against a real control plane and a real
// Git server (smart HTTP with basic auth; the password is a sensitive Terraform variable).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { installProvider } from "../../src/terraform/install";
import { cdktfProject, cdktfScratch, output, type CdktfProject } from "../harness/cdktf";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";

/** SCRATCH holds every project of this file; removed at the end. */
const SCRATCH = cdktfScratch("deploy-test");
after(() => rm(SCRATCH, { recursive: true, force: true }));

/** INVALID_APP takes ref.commit from a variable, so the synth passes and the provider's validation speaks. */
const INVALID_APP = `
const { App, TerraformStack, TerraformVariable } = require("cdktf");
const { FluxiacProvider, GitRepository } = require("fluxiac/cdktf");
const app = new App();
const stack = new TerraformStack(app, "invalid");
new FluxiacProvider(stack, "fluxiac", { configPath: process.env.KUBECONFIG });
const commit = new TerraformVariable(stack, "commit", { type: "string" });
new GitRepository(stack, "bad", { url: "https://git.example.com/org/fleet.git", ref: { commit: commit.stringValue } });
app.synth();
`;

/** NO_PRUNE_APP omits the required prune, as a JavaScript user can. */
const NO_PRUNE_APP = `
const { App, TerraformStack } = require("cdktf");
const { FluxiacProvider, GitRepository, Kustomization } = require("fluxiac/cdktf");
const app = new App();
const stack = new TerraformStack(app, "fleet");
new FluxiacProvider(stack, "fluxiac");
const repo = new GitRepository(stack, "repo", { url: "https://git.example.com/org/fleet.git" });
new Kustomization(stack, "apps", { sourceRef: repo, path: "./deploy" });
app.synth();
`;

/**
 * LAYERS_APP applies a Kustomization "shop" that depends on "infra", both from one repository, into the
 * cluster given as a KubernetesProvider's settings (host, token, CA) rather than a kubeconfig.
 */
const LAYERS_APP = `
const { App, TerraformStack, TerraformVariable } = require("cdktf");
const { FluxiacProvider, GitRepository, Kustomization } = require("fluxiac/cdktf");
const app = new App();
const stack = new TerraformStack(app, "layers");
const token = new TerraformVariable(stack, "kube_token", { type: "string", sensitive: true });
FluxiacProvider.fromKubernetesProvider(stack, "fluxiac", { host: process.env.KUBE_HOST, token: token.stringValue, clusterCaCertificate: process.env.KUBE_CA });
const password = new TerraformVariable(stack, "git_password", { type: "string", sensitive: true });
const repo = new GitRepository(stack, "layers", {
  url: process.env.REPO_URL,
  ref: { branch: "main" },
  auth: { username: process.env.GIT_USERNAME, password: password.stringValue },
});
const infra = new Kustomization(stack, "infra", { sourceRef: repo, path: "./infra", prune: true, wait: true });
new Kustomization(stack, "shop", { sourceRef: repo, path: "./shop", prune: true, dependsOn: [infra] });
app.synth();
`;

/** jsApp is a cdktf project whose app is plain JavaScript (no compile step). */
const jsApp = (source: string) => ({ "cdktf.json": JSON.stringify({ language: "typescript", app: "node main.js", projectId: "fluxiac-e2e", sendCrashReports: "false" }), "main.js": source });

describe("the CDKTF example under cdktf synth", () => {
  let project: CdktfProject;

  before(async () => {
    project = await cdktfProject(SCRATCH, "example-synth", { from: "examples/cdktf" });
  });

  after(async () => {
    await project?.cleanup();
  });

  test("cdktf synth compiles the app and writes the fluxiac resources and provider", async () => {
    const res = await project.cdktf(["synth"], { REPO_URL: "https://git.example.com/org/fleet.git", KUBECONFIG: "/etc/fluxiac/kubeconfig", GIT_USERNAME: "bot" });
    assert.equal(res.code, 0, output(res));
    const config = (await project.synthesized("fleet")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(config.terraform.required_providers.fluxiac, { source: "fluxiac/fluxiac", version: "0.1.0" });
    assert.deepEqual(config.provider.fluxiac, [{ config_path: "/etc/fluxiac/kubeconfig" }]);
    const repo = config.resource.fluxiac_git_repository.apps;
    assert.equal(repo.url, "https://git.example.com/org/fleet.git");
    assert.deepEqual(repo.auth, { username: "bot", password: "${var.git_password}" });
    assert.equal(config.variable.git_password.sensitive, true);
    const ks = config.resource.fluxiac_kustomization["apps-deploy"];
    assert.equal(ks.source_ref, "${fluxiac_git_repository.apps.source_reference}");
    assert.equal(ks.prune, true);
    assert.equal(ks.name, "apps");
  });

  test("cdktf synth without REPO_URL fails with the example's message", async () => {
    const res = await project.cdktf(["synth"], { KUBECONFIG: "/etc/fluxiac/kubeconfig" });
    assert.notEqual(res.code, 0);
    assert.match(output(res), /set REPO_URL to the Git repository to deploy from/);
  });

  test("cdktf synth of invalid props fails naming the construct path, the construct and the prop", async () => {
    const bad = await cdktfProject(SCRATCH, "no-prune", { files: jsApp(NO_PRUNE_APP) });
    const res = await bad.cdktf(["synth"]);
    assert.notEqual(res.code, 0);
    assert.match(output(res), /\[fleet\/apps\] Kustomization "apps": prune is required, as in Flux: set prune: true/);
  });
});

describe("cdktf deploy of the example against a real cluster and Git server", () => {
  const NS = "apps";
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let project: CdktfProject;
  let core: k8s.CoreV1Api;

  const cm = (name: string) => core.readNamespacedConfigMap({ name, namespace: NS });
  const exists = (name: string) => cm(name).then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
  const configMap = (name: string, data: Record<string, string>) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}\n`;
  /** cdktf runs a command that must succeed, failing with everything the project printed so far. */
  const cdktf = async (...args: string[]) => {
    const res = await project.cdktf(args);
    assert.equal(res.code, 0, `cdktf ${args.join(" ")} failed:\n${project.log.join("\n")}`);
    return output(res);
  };
  const state = async () => JSON.parse(await readFile(join(project.dir, "terraform.fleet.tfstate"), "utf8")) as { outputs: Record<string, { value: unknown }> };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    repo = await git.createRepo("fleet");
    await repo.commit({
      "deploy/a.yaml": configMap("a", { color: "blue" }),
      "deploy/b.yaml": configMap("b", { size: "small" }),
      "deploy/c.yaml": configMap("c", { shape: "round" }),
    });
    project = await cdktfProject(SCRATCH, "deploy", {
      from: "examples/cdktf",
      env: { REPO_URL: repo.httpUrl, KUBECONFIG: cp.kubeconfigPath, GIT_USERNAME: git.httpUser, TF_VAR_git_password: git.httpPassword },
    });
    await installProvider({ dir: project.pluginDir });
  });

  after(async () => {
    await project?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("cdktf deploy creates the GitRepository and applies the Kustomization with field manager fluxiac", async () => {
    const out = await cdktf("deploy", "--auto-approve", "--skip-provider-lock");
    const head = await repo.head();
    const a = await cm("a");
    assert.equal(a.data?.color, "blue");
    assert.ok(a.metadata?.managedFields?.some((f) => f.manager === "fluxiac" && f.operation === "Apply"), "managed by fluxiac");
    assert.equal(a.metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "apps");
    assert.ok(await exists("b") && await exists("c"));
    const { outputs } = await state();
    assert.equal(outputs.revision.value, `main@sha1:${head}`);
    assert.equal(outputs.last_applied_revision.value, `main@sha1:${head}`);
    assert.deepEqual(outputs.inventory.value, ["apps_a__ConfigMap", "apps_b__ConfigMap", "apps_c__ConfigMap"]);
    assert.equal(out.includes(git.httpPassword), false, "the Git password is not printed");
    const synthesized = await readFile(join(project.stackDir("fleet"), "cdk.tf.json"), "utf8");
    assert.equal(synthesized.includes(git.httpPassword), false, "nor written into the configuration");
  });

  test("a new commit shows in cdktf diff; cdktf deploy applies it and prunes", async () => {
    const sha = await repo.commit({ "deploy/a.yaml": configMap("a", { color: "green" }), "deploy/b.yaml": null });
    const diff = await cdktf("diff", "--skip-provider-lock");
    assert.ok(diff.includes(`main@sha1:${sha}`), `the diff shows the new revision:\n${diff}`);
    assert.match(diff, /prune\s*=\s*\[\s*\+ "ConfigMap\/apps\/b"/, `and the object to prune:\n${diff}`);
    assert.match(diff, /update\s*=\s*\[\s*\+ "ConfigMap\/apps\/a"/, "and the object to update");
    assert.match(diff, /Plan: 0 to add, 2 to change, 0 to destroy/);
    assert.equal((await cm("a")).data?.color, "blue", "diff changed nothing");
    assert.equal(await exists("b"), true);

    await cdktf("deploy", "--auto-approve", "--skip-provider-lock");
    assert.equal((await cm("a")).data?.color, "green");
    assert.equal(await exists("b"), false, "b was pruned");
    const { outputs } = await state();
    assert.equal(outputs.last_applied_revision.value, `main@sha1:${sha}`);
    assert.deepEqual(outputs.inventory.value, ["apps_a__ConfigMap", "apps_c__ConfigMap"]);
  });

  test("drift made by hand shows in the plan and deploy corrects it", async () => {
    await core.patchNamespacedConfigMap(
      { name: "a", namespace: NS, body: { data: { color: "hand-edited" } }, fieldManager: "kubectl-edit" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const diff = await cdktf("diff", "--skip-provider-lock");
    assert.match(diff, /drifted\s*=\s*\[\s*\+ "ConfigMap\/apps\/a"/, `the plan shows the drifted object:\n${diff}`);
    assert.match(diff, /Plan: 0 to add, 1 to change, 0 to destroy/);
    assert.equal((await cm("a")).data?.color, "hand-edited");
    await cdktf("deploy", "--auto-approve", "--skip-provider-lock");
    assert.equal((await cm("a")).data?.color, "green");
    const again = await cdktf("diff", "--skip-provider-lock");
    assert.match(again, /No changes/, `nothing left to change:\n${again}`);
  });

  test("invalid configuration makes terraform show fluxiac's diagnostic with the attribute path", async () => {
    const bad = await cdktfProject(SCRATCH, "invalid", { files: jsApp(INVALID_APP) });
    try {
      await installProvider({ dir: bad.pluginDir });
      const res = await bad.cdktf(["diff", "--skip-provider-lock"], { KUBECONFIG: cp.kubeconfigPath, TF_VAR_commit: "abc123" });
      const out = output(res);
      assert.notEqual(res.code, 0, out);
      assert.match(out, /ref\.commit must be a full 40-character SHA-1/);
      assert.match(out, /with fluxiac_git_repository\.bad/);
      assert.match(out, /in resource\.fluxiac_git_repository\.bad[^\n]*\.ref:/, "the attribute path points at ref");
      assert.match(out, /"commit": "\$\{var\.commit\}"/, "and at the line that sets commit");
    } finally {
      await bad.cleanup();
    }
  });

  test("dependsOn: the dependency's state flows into the dependent's dependencies, and both apply (cluster from KubernetesProvider settings)", async () => {
    const layers = await git.createRepo("layers");
    const sha = await layers.commit({ "infra/settings.yaml": configMap("settings", { tier: "gold" }), "shop/price.yaml": configMap("price", { amount: "3" }) });
    const stack = await cdktfProject(SCRATCH, "layers", {
      files: jsApp(LAYERS_APP),
      env: { REPO_URL: layers.httpUrl, KUBE_HOST: cp.server, KUBE_CA: cp.caPem, TF_VAR_kube_token: cp.adminToken, GIT_USERNAME: git.httpUser, TF_VAR_git_password: git.httpPassword },
    });
    try {
      await installProvider({ dir: stack.pluginDir });
      const res = await stack.cdktf(["deploy", "--auto-approve", "--skip-provider-lock"]);
      assert.equal(res.code, 0, stack.log.join("\n"));
      assert.doesNotMatch(output(res), /is a literal string/, "no credential is a literal");
      const provider = ((await stack.synthesized("layers")).provider as Record<string, Record<string, unknown>[]>).fluxiac[0];
      assert.deepEqual(provider, { host: cp.server, token: "${var.kube_token}", cluster_ca_certificate: cp.caPem });
      assert.equal(stack.log.join("\n").includes(cp.adminToken), false, "the token is never printed");
      assert.equal((await cm("settings")).data?.tier, "gold");
      assert.equal((await cm("price")).data?.amount, "3");
      type State = { resources: { type: string; name: string; instances: { attributes: Record<string, unknown> }[] }[] };
      const tfstate = JSON.parse(await readFile(join(stack.dir, "terraform.layers.tfstate"), "utf8")) as State;
      const attributes = (name: string) => tfstate.resources.find((r) => r.type === "fluxiac_kustomization" && r.name === name)!.instances[0].attributes;
      const dependencies = (attributes("shop").dependencies as string[]).map((d) => JSON.parse(d) as { name: string; lastAppliedRevision: string });
      assert.deepEqual(dependencies.map((d) => [d.name, d.lastAppliedRevision]), [["infra", `main@sha1:${sha}`]]);
      assert.equal(attributes("shop").dependencies?.toString(), attributes("infra").dependency?.toString());
      const destroyed = await stack.cdktf(["destroy", "--auto-approve", "--skip-provider-lock"]);
      assert.equal(destroyed.code, 0, stack.log.join("\n"));
      assert.equal(await exists("settings"), false);
      assert.equal(await exists("price"), false);
    } finally {
      await stack.cleanup();
    }
  });

  test("cdktf destroy prunes what the Kustomization applied and nothing else", async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "hand-made" }, data: { x: "y" } } });
    await cdktf("destroy", "--auto-approve", "--skip-provider-lock");
    assert.equal(await exists("a"), false);
    assert.equal(await exists("c"), false);
    assert.equal(await exists("hand-made"), true, "objects outside the inventory survive");
  });
});
