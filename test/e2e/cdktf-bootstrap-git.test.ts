// CDKTF end to end: the BootstrapGit construct in the default mode, with its self-management loop (a
// GitRepository and a Kustomization wired to `sync`, as docs/CDKTF.md shows), under the real cdktf CLI and
// terraform 1.11, over a real SSH Git server and a real API server. cdktf runs are slow: one test, one
// deploy that bootstraps, one that commits nothing, one destroy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { installProvider } from "../../src/terraform/install";
import { cdktfProject, cdktfScratch, output, type CdktfProject } from "../harness/cdktf";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must } from "../harness/proc";
import { tool } from "../harness/tools";

/** SCRATCH holds every project of this file; removed at the end. */
const SCRATCH = cdktfScratch("bootstrap-test");
after(() => rm(SCRATCH, { recursive: true, force: true }));

/** BOOTSTRAP_APP is docs/CDKTF.md's BootstrapGit example, with the push key a sensitive variable. */
const BOOTSTRAP_APP = `
const { App, TerraformStack, TerraformVariable, TerraformOutput } = require("cdktf");
const { BootstrapGit, FluxiacProvider, GitRepository, Kustomization } = require("fluxiac/cdktf");
const app = new App();
const stack = new TerraformStack(app, "flux");
new FluxiacProvider(stack, "fluxiac", { configPath: process.env.KUBECONFIG });
const pushKey = new TerraformVariable(stack, "push_key", { type: "string", sensitive: true });
const boot = new BootstrapGit(stack, "flux", {
  name: "flux-system",
  url: process.env.REPO_URL,
  auth: { identity: pushKey.stringValue },
  scanKnownHosts: true,
  generateDeployKey: { algorithm: "ed25519" },
  author: { name: "Platform Bot", email: "bot@example.com" },
  path: "clusters/prod",
});
const repo = new GitRepository(stack, "flux-repo", {
  name: "flux-system",
  url: boot.sync.url,
  ref: { branch: boot.sync.branch },
  ignore: boot.sync.ignore,
  auth: { identity: pushKey.stringValue, knownHosts: boot.knownHosts },
});
const loop = new Kustomization(stack, "flux-ks", { name: boot.fluxName, sourceRef: repo, path: boot.sync.path, prune: true, deletionPolicy: "Orphan" });
new TerraformOutput(stack, "deploy_key", { value: boot.deployKeyPublic });
new TerraformOutput(stack, "revision", { value: boot.revision });
new TerraformOutput(stack, "inventory", { value: loop.inventory });
app.synth();
`;

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  from: git\n`;

describe("cdktf deploy of BootstrapGit with its loop, over SSH", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let project: CdktfProject;
  let core: k8s.CoreV1Api;

  const exists = (p: Promise<unknown>) => p.then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
  const commits = async () => Number((await must(tool("git"), ["--git-dir", repo.path, "rev-list", "--count", "main"])).trim());
  const show = (file: string) => must(tool("git"), ["--git-dir", repo.path, "show", `main:${file}`]);
  /** cdktf runs a command that must succeed, failing with everything the project printed so far. */
  const cdktf = async (...args: string[]) => {
    const res = await project.cdktf(args);
    assert.equal(res.code, 0, `cdktf ${args.join(" ")} failed:\n${project.log.join("\n")}`);
    return output(res);
  };
  const outputs = async () => (JSON.parse(await readFile(join(project.dir, "terraform.flux.tfstate"), "utf8")) as { outputs: Record<string, { value: unknown }> }).outputs;

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    repo = await git.createRepo("fleet");
    await repo.commit({ "clusters/prod/app.yaml": configMap("app") });
    project = await cdktfProject(SCRATCH, "bootstrap", {
      files: {
        "cdktf.json": JSON.stringify({ language: "typescript", app: "node main.js", projectId: "fluxiac-e2e-bootstrap", sendCrashReports: "false" }),
        "main.js": BOOTSTRAP_APP,
      },
      env: { REPO_URL: repo.sshUrl, KUBECONFIG: cp.kubeconfigPath, TF_VAR_push_key: git.sshIdentity },
    });
    await installProvider({ dir: project.pluginDir });
  });

  after(async () => {
    await project?.cleanup();
    await Promise.all([cp?.stop(), git?.stop()]);
  });

  test("deploy bootstraps and the loop applies the path; a second deploy commits nothing; destroy removes the Secret and keeps the rest", async () => {
    // Given a repository with one commit
    assert.equal(await commits(), 1);

    // When cdktf deploys
    const first = await cdktf("deploy", "--auto-approve", "--skip-provider-lock");
    // Then the sync manifests are committed and pushed under <path>/flux-system/
    assert.equal(await commits(), 2);
    assert.match(await show("clusters/prod/flux-system/gotk-sync.yaml"), /path: \.\/clusters\/prod\n/);
    assert.equal(await show("clusters/prod/flux-system/kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n");
    // And the Secret holds the generated deploy key, the loop applied the path without Flux's sync objects
    const out = await outputs();
    assert.match(String(out.deploy_key.value), /^ssh-ed25519 AAAA\S+/);
    assert.equal(out.revision.value, `main@sha1:${await repo.head()}`);
    assert.deepEqual(out.inventory.value, ["default_app__ConfigMap"]);
    const secret = await core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" });
    assert.equal(Buffer.from(secret.data!["identity.pub"], "base64").toString().trim(), String(out.deploy_key.value).trim());
    assert.equal((await core.readNamespacedConfigMap({ name: "app", namespace: "default" })).metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "flux-system");
    const keyBody = git.sshIdentity.split("\n")[1];
    assert.equal(first.includes(keyBody), false, "the push key is never printed");

    // When cdktf deploys again
    const head = await repo.head();
    const second = await cdktf("deploy", "--auto-approve", "--skip-provider-lock");
    // Then nothing is committed and the deploy key stays
    assert.equal(await commits(), 2, `the second deploy made no commit:\n${second}`);
    assert.equal(await repo.head(), head);
    assert.equal((await outputs()).deploy_key.value, out.deploy_key.value);

    // When cdktf destroys
    await cdktf("destroy", "--auto-approve", "--skip-provider-lock");
    // Then the Secret is gone; the namespace, the files and (deletionPolicy Orphan) the workloads stay
    assert.equal(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })), false);
    assert.ok(await exists(core.readNamespace({ name: "flux-system" })));
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app", namespace: "default" })));
    assert.ok(await show("clusters/prod/flux-system/gotk-sync.yaml"));
  });
});
