// fluxiac_bootstrap_git in controllers mode end to end: real terraform 1.11, a real Git server (HTTP) and
// a real API server. Flux's components (from a local file) and the sync objects are committed and applied
// to the cluster; the next plan is empty; destroy drops the Secret and the sync objects and, as documented,
// keeps the controllers, the namespace and the files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { fluxComponents } from "../harness/flux-components";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must } from "../harness/proc";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-boot-ctl-test-"));

const BOOT = "fluxiac_bootstrap_git.flux";
const NS = "flux-ctl";

const exists = (p: Promise<unknown>) => p.then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));

describe("fluxiac_bootstrap_git in controllers mode", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let custom: k8s.CustomObjectsApi;

  const bare = (...args: string[]) => must(tool("git"), ["--git-dir", repo.path, ...args]);
  const subjects = async () => (await bare("log", "--format=%s", "main")).trim().split("\n");
  const syncObject = (group: string, plural: string) => custom.getNamespacedCustomObject({ group, version: "v1", namespace: NS, plural, name: "flux-system" });
  const kustomizationCR = () => syncObject("kustomize.toolkit.fluxcd.io", "kustomizations");
  const gitRepositoryCR = () => syncObject("source.toolkit.fluxcd.io", "gitrepositories");
  const controller = () => apps.readNamespacedDeployment({ name: "kustomize-controller", namespace: NS });

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    [core, apps, custom] = [kc.makeApiClient(k8s.CoreV1Api), kc.makeApiClient(k8s.AppsV1Api), kc.makeApiClient(k8s.CustomObjectsApi)];
    repo = await git.createRepo("fleet-ctl");
    const components = join(scratch, "gotk-components.yaml");
    writeFileSync(components, fluxComponents("v2.8.5", NS));
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig({
      terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
      provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
      resource: {
        fluxiac_bootstrap_git: {
          flux: {
            name: "flux-system",
            url: repo.httpUrl,
            auth: { username: git.httpUser, password: git.httpPassword },
            author: { name: "Platform Bot", email: "bot@example.com" },
            path: "clusters/ctl",
            namespace: NS,
            mode: "controllers",
            components: { local_path: components },
          },
        },
      },
    });
    await tf.must("init", "-input=false", "-no-color");
  });

  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the plan lists the files and the cluster objects; apply commits them and applies the components and sync objects", async () => {
    // When terraform plans
    await tf.must("plan", "-input=false", "-no-color", "-out=tfplan");
    const plan = JSON.parse(await tf.must("show", "-json", "tfplan")) as TerraformPlan;
    const boot = plan.resource_changes?.find((c) => c.address === BOOT)?.change;
    assert.ok(boot, `the plan has ${BOOT}`);
    // Then it shows the three files, the namespace and Secret to create, and Flux's objects to apply
    assert.deepEqual(boot.actions, ["create"]);
    const summary = boot.after?.plan as { files: string[]; namespace: string; secret: string; cluster: string[] };
    assert.deepEqual(summary.files, ["clusters/ctl/flux-system/gotk-components.yaml", "clusters/ctl/flux-system/gotk-sync.yaml", "clusters/ctl/flux-system/kustomization.yaml"]);
    assert.deepEqual([summary.namespace, summary.secret], ["create", "create"]);
    for (const o of ["CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io", `Deployment/${NS}/kustomize-controller`, `GitRepository/${NS}/flux-system`, `Kustomization/${NS}/flux-system`]) {
      assert.ok(summary.cluster.includes(o), `the plan applies ${o}: ${summary.cluster.join(", ")}`);
    }
    await assert.rejects(repo.head(), /no branch main/, "plan pushed nothing");
    assert.equal(await exists(core.readNamespace({ name: NS })), false, "plan created nothing");

    // When it applies the plan
    const out = await tf.must("apply", "-input=false", "-no-color", "tfplan");
    // Then the components and the sync manifests are committed, as flux bootstrap does
    assert.deepEqual(await subjects(), ["Add Flux sync manifests", "Add Flux v2.8.5 component manifests"]);
    assert.match(await bare("show", "main:clusters/ctl/flux-system/gotk-components.yaml"), /^# This manifest was generated by flux\. DO NOT EDIT\.\n# Flux Version: v2\.8\.5\n/);
    // And the controllers and the sync objects are in the cluster
    assert.ok(await exists(controller()), "the components were applied");
    const ks = await kustomizationCR();
    assert.deepEqual(ks.spec, { interval: "10m0s", path: "./clusters/ctl", prune: true, sourceRef: { kind: "GitRepository", name: "flux-system" } });
    const gr = await gitRepositoryCR();
    assert.equal(gr.spec.url, repo.httpUrl);
    assert.deepEqual(gr.spec.secretRef, { name: "flux-system" });
    const secret = await core.readNamespacedSecret({ name: "flux-system", namespace: NS });
    assert.equal(Buffer.from(secret.data!.password, "base64").toString(), git.httpPassword);
    const state = (await tf.stateJson()).values?.root_module?.resources?.find((r) => r.address === BOOT)?.values;
    assert.equal(state?.revision, `main@sha1:${await repo.head()}`);
    assert.equal(out.includes(git.httpPassword), false, "terraform's output never shows the password");
  });

  test("the next plan has no changes and makes no commit", async () => {
    const head = await repo.head();
    const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(r.code, 0, `no changes after apply:\n${r.stdout}${r.stderr}`);
    assert.equal(await repo.head(), head);
  });

  test("destroy removes the Secret and the sync objects, and keeps the controllers, the namespace and the files", async () => {
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await exists(kustomizationCR()), false);
    assert.equal(await exists(gitRepositoryCR()), false);
    assert.equal(await exists(core.readNamespacedSecret({ name: "flux-system", namespace: NS })), false);
    assert.ok(await exists(controller()), "the controllers stay, as documented");
    assert.ok(await exists(core.readNamespace({ name: NS })), "keep_namespace defaults to true");
    assert.ok(await bare("show", "main:clusters/ctl/flux-system/gotk-sync.yaml"), "the files stay without delete_git_manifests");
  });
});
