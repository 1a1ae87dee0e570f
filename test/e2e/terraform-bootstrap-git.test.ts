// fluxiac_bootstrap_git end to end: real terraform 1.11, real Git servers (HTTP and SSH) and a real API
// server. The self-management loop is the user's fluxiac_git_repository and fluxiac_kustomization wired to
// the bootstrap's `sync` attribute. First apply, a plan with no changes and no new commit, a deleted Secret,
// a generated deploy key kept across plans, and destroy with delete_git_manifests and keep_namespace.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must } from "../harness/proc";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-boot-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const BOOT = "fluxiac_bootstrap_git.flux";
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  from: git\n`;

function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}: ${JSON.stringify(plan.resource_changes?.map((r) => r.address))}`);
  return c.change;
}

const exists = (p: Promise<unknown>) => p.then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
const commits = async (repo: GitRepo) => Number((await must(tool("git"), ["--git-dir", repo.path, "rev-list", "--count", "main"])).trim());
const coreApi = (kubeconfig: string) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc.makeApiClient(k8s.CoreV1Api);
};
const stateOf = async (tf: TerraformWorkspace, address: string) => (await tf.stateJson()).values?.root_module?.resources?.find((r) => r.address === address)?.values;
const noChanges = async (tf: TerraformWorkspace, when: string) => {
  const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
  assert.equal(r.code, 0, `no changes ${when}:\n${r.stdout}${r.stderr}`);
};

describe("fluxiac_bootstrap_git over HTTP, with the loop wired to its sync attribute", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    core = coreApi(cp.kubeconfig);
    repo = await git.createRepo("fleet");
    await repo.commit({ "clusters/prod/app.yaml": configMap("app") });
    const auth = { username: git.httpUser, password: git.httpPassword };
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig({
      terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
      provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
      resource: {
        fluxiac_bootstrap_git: { flux: { name: "flux-system", url: repo.httpUrl, auth, author: { name: "Platform Bot", email: "bot@example.com" }, path: "clusters/prod" } },
        fluxiac_git_repository: {
          flux: {
            name: "flux-system",
            url: "${fluxiac_bootstrap_git.flux.sync.url}",
            ref: { branch: "${fluxiac_bootstrap_git.flux.sync.branch}" },
            ignore: "${fluxiac_bootstrap_git.flux.sync.ignore}",
            auth,
          },
        },
        fluxiac_kustomization: {
          flux: { name: "${fluxiac_bootstrap_git.flux.name}", source_ref: "${fluxiac_git_repository.flux.source_reference}", path: "${fluxiac_bootstrap_git.flux.sync.path}", prune: true, deletion_policy: "Orphan" },
        },
      },
    });
    await tf.must("init", "-input=false", "-no-color");
  });
  after(() => Promise.all([cp?.stop(), git?.stop()]));

  test("the first plan says what would be committed and created; apply bootstraps and the loop applies the path", async () => {
    const plan = await tf.planJson();
    const boot = change(plan, BOOT);
    assert.deepEqual(boot.actions, ["create"]);
    assert.deepEqual(boot.after?.plan, {
      revision: `main@sha1:${await repo.head()}`,
      files: ["clusters/prod/flux-system/gotk-sync.yaml", "clusters/prod/flux-system/kustomization.yaml"],
      namespace: "create",
      secret: "create",
      cluster: [],
    });
    assert.equal(boot.after_unknown.sync, true, "the loop's settings are known once the push is done");
    assert.equal(boot.after_unknown.revision, true);
    assert.equal(await commits(repo), 1, "plan committed nothing");
    assert.equal(await exists(core.readNamespace({ name: "flux-system" })), false, "plan created nothing");

    const out = await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal(await commits(repo), 2);
    const state = await stateOf(tf, BOOT);
    assert.equal(state?.revision, `main@sha1:${await repo.head()}`);
    assert.deepEqual(Object.keys(state?.repository_files as object).sort(), ["clusters/prod/flux-system/gotk-sync.yaml", "clusters/prod/flux-system/kustomization.yaml"]);
    assert.match((state?.repository_files as Record<string, string>)["clusters/prod/flux-system/gotk-sync.yaml"], /path: \.\/clusters\/prod\n/);
    assert.deepEqual(state?.sync, { url: repo.httpUrl, branch: "main", path: "./clusters/prod", ignore: "/clusters/prod/flux-system/\n" });
    const secret = await core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" });
    assert.equal(Buffer.from(secret.data!.password, "base64").toString(), git.httpPassword);
    assert.deepEqual((await stateOf(tf, "fluxiac_kustomization.flux"))?.inventory, ["default_app__ConfigMap"], "the loop applied the path, without Flux's sync objects");
    assert.equal((await core.readNamespacedConfigMap({ name: "app", namespace: "default" })).metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "flux-system");
    assert.equal(out.includes(git.httpPassword), false, "terraform's output never shows the password");
  });

  test("the next plan has no changes and makes no commit", async () => {
    await noChanges(tf, "after the bootstrap");
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await commits(repo), 2, "no new commit");
  });

  test("a manifest pushed under the path is planned and applied by the loop; the bootstrap is unchanged", async () => {
    await repo.commit({ "clusters/prod/extra.yaml": configMap("extra") });
    const plan = await tf.planJson();
    assert.deepEqual(change(plan, BOOT).actions, ["no-op"]);
    assert.deepEqual((change(plan, "fluxiac_kustomization.flux").after?.plan as { create: string[] }).create, ["ConfigMap/default/extra"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "extra", namespace: "default" })));
  });

  test("a deleted Secret shows in the plan and is created again, without a commit", async () => {
    await core.deleteNamespacedSecret({ name: "flux-system", namespace: "flux-system" });
    const plan = await tf.planJson();
    const boot = change(plan, BOOT);
    assert.deepEqual(boot.actions, ["update"]);
    assert.deepEqual({ ...(boot.after?.plan as object), revision: undefined }, { revision: undefined, files: [], namespace: "unchanged", secret: "create", cluster: [] });
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.ok(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })));
    assert.equal(await commits(repo), 3, "only the pushed manifest's commit");
    await noChanges(tf, "after recreating the Secret");
  });

  test("destroy removes the Secret and keeps the namespace, the files and (deletion_policy Orphan) the workloads", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: "flux-system" })), false);
    assert.ok(await exists(core.readNamespace({ name: "flux-system" })));
    assert.ok(await must(tool("git"), ["--git-dir", repo.path, "show", "main:clusters/prod/flux-system/gotk-sync.yaml"]), "the files stay without delete_git_manifests");
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app", namespace: "default" })));
  });
});

describe("fluxiac_bootstrap_git over SSH with a generated deploy key and scanned host keys", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    core = coreApi(cp.kubeconfig);
    repo = await git.createRepo("fleet-ssh");
    await repo.commit({ "clusters/edge/app-edge.yaml": configMap("app-edge") });
    tf = await terraformWorkspace(join(scratch, "ssh"));
    await tf.writeConfig({
      terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
      provider: { fluxiac: { config_raw: cp.kubeconfig } },
      resource: {
        fluxiac_bootstrap_git: {
          flux: {
            name: "flux-system",
            url: repo.sshUrl,
            auth: { identity: git.sshIdentity },
            scan_known_hosts: true,
            generate_deploy_key: { algorithm: "ed25519" },
            path: "clusters/edge",
            namespace: "flux-edge",
            delete_git_manifests: true,
            keep_namespace: false,
          },
        },
        // The loop as docs/TERRAFORM.md writes it: the push key, and the host keys the bootstrap scanned.
        fluxiac_git_repository: {
          flux: {
            name: "flux-system",
            url: "${fluxiac_bootstrap_git.flux.sync.url}",
            ref: { branch: "${fluxiac_bootstrap_git.flux.sync.branch}" },
            ignore: "${fluxiac_bootstrap_git.flux.sync.ignore}",
            auth: { identity: git.sshIdentity, known_hosts: "${fluxiac_bootstrap_git.flux.known_hosts}" },
          },
        },
        fluxiac_kustomization: {
          flux: { name: "${fluxiac_bootstrap_git.flux.name}", source_ref: "${fluxiac_git_repository.flux.source_reference}", path: "${fluxiac_bootstrap_git.flux.sync.path}", prune: true, deletion_policy: "Orphan" },
        },
      },
    });
    await tf.must("init", "-input=false", "-no-color");
  });
  after(() => Promise.all([cp?.stop(), git?.stop()]));

  test("apply bootstraps with a new deploy key and the loop applies the path over SSH; the key stays across plans", async () => {
    const plan = await tf.planJson();
    const boot = change(plan, BOOT);
    assert.equal(boot.after_unknown.deploy_key_public, true, "a new deploy key is made by the apply");
    assert.ok(String(boot.after?.known_hosts).includes(git.knownHosts.trim().split(" ").slice(1).join(" ")), "the scanned host key, known at plan time");
    const out = await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal(await commits(repo), 2);
    assert.deepEqual((await stateOf(tf, "fluxiac_kustomization.flux"))?.inventory, ["default_app-edge__ConfigMap"]);
    const publicKey = (await stateOf(tf, BOOT))?.deploy_key_public as string;
    assert.match(publicKey, /^ssh-ed25519 AAAA/);
    const secret = await core.readNamespacedSecret({ name: "flux-system", namespace: "flux-edge" });
    assert.equal(Buffer.from(secret.data!["identity.pub"], "base64").toString(), publicKey);
    const privateKey = Buffer.from(secret.data!.identity, "base64").toString();
    assert.equal(out.includes(privateKey.split("\n")[1]), false, "the private key never shows in terraform's output");
    const state = JSON.parse(readFileSync(join(tf.dir, "terraform.tfstate"), "utf8"));
    const attrs = state.resources.find((r: { type: string }) => r.type === "fluxiac_bootstrap_git").instances[0];
    assert.ok(attrs.sensitive_attributes.some((p: { value: string }[]) => p[0]?.value === "deploy_key_private"), "deploy_key_private is marked sensitive in state");
    await noChanges(tf, "after the bootstrap: the deploy key and the host keys are kept");
  });

  test("destroy with delete_git_manifests and keep_namespace false removes the files and the namespace", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal((await must(tool("git"), ["--git-dir", repo.path, "log", "-1", "--format=%s", "main"])).trim(), "Remove Flux manifests");
    await assert.rejects(must(tool("git"), ["--git-dir", repo.path, "show", "main:clusters/edge/flux-system/gotk-sync.yaml"]));
    const ns = await core.readNamespace({ name: "flux-edge" }).then((n) => n.status?.phase, (e: { code?: number }) => (e.code === 404 ? "gone" : Promise.reject(e)));
    assert.ok(ns === "gone" || ns === "Terminating", `the namespace is deleted: ${ns}`);
    assert.ok(await exists(core.readNamespacedConfigMap({ name: "app-edge", namespace: "default" })), "the loop's deletion_policy Orphan keeps the workloads");
  });
});
