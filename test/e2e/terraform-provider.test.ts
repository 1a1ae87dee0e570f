// fluxiac's Terraform provider end to end: real terraform 1.11, a real API server, a real Git server,
// Terraform JSON configuration.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { run } from "../harness/proc";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";

const NS = "apps";
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-test-"));

const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}\n`;

/** change finds a resource's planned change in `terraform show -json` of a plan. */
function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}: ${JSON.stringify(plan.resource_changes?.map((r) => r.address))}`);
  return c.change;
}

describe("fluxiac provider under terraform", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;

  const cm = (name: string) => core.readNamespacedConfigMap({ name, namespace: NS });
  const exists = (name: string) => cm(name).then(() => true, (e) => (e.code === 404 ? false : Promise.reject(e)));
  const config = (gitOverrides: Record<string, unknown> = {}) => ({
    terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
    provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
    resource: {
      fluxiac_git_repository: {
        apps: { name: "apps", url: repo.httpUrl, ref: { branch: "main" }, auth: { username: git.httpUser, password: git.httpPassword }, ...gitOverrides },
      },
      fluxiac_kustomization: {
        apps: { name: "apps", source_ref: "${fluxiac_git_repository.apps.source_reference}", path: "./deploy", prune: true },
      },
    },
  });
  const apply = () => tf.must("apply", "-input=false", "-no-color", "-auto-approve");
  /** noChanges asserts that a plan finds nothing to do (exit code 0 of -detailed-exitcode). */
  const noChanges = async (when: string) => {
    const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(r.code, 0, `no changes ${when}:\n${r.stdout}${r.stderr}`);
  };

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
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig(config());
    await tf.must("init", "-input=false", "-no-color");
  });

  after(async () => {
    await Promise.all([cp?.stop(), git?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("init takes the provider from the mirror and locks the hash fluxiac terraform install printed", () => {
    const lock = readFileSync(join(tf.dir, ".terraform.lock.hcl"), "utf8");
    assert.match(lock, /provider "registry\.terraform\.io\/fluxiac\/fluxiac"/);
    assert.ok(lock.includes(tf.provider.hash), `the lock file holds ${tf.provider.hash}:\n${lock}`);
  });

  test("the first plan shows the artifact and the objects to create; apply creates them", async () => {
    const head = await repo.head();
    const plan = await tf.planJson();
    const source = change(plan, "fluxiac_git_repository.apps");
    assert.deepEqual(source.actions, ["create"]);
    assert.equal((source.after?.artifact as { revision: string }).revision, `main@sha1:${head}`, "the artifact is known at plan time");
    const ks = change(plan, "fluxiac_kustomization.apps");
    assert.deepEqual(ks.actions, ["create"]);
    assert.deepEqual(ks.after?.plan, { revision: `main@sha1:${head}`, create: ["ConfigMap/apps/a", "ConfigMap/apps/b", "ConfigMap/apps/c"], update: [], prune: [], drifted: [] });
    assert.equal(await exists("a"), false, "plan changed nothing");

    const out = await apply();
    assert.equal((await cm("a")).data?.color, "blue");
    const a = await cm("a");
    assert.ok(a.metadata?.managedFields?.some((f) => f.manager === "fluxiac" && f.operation === "Apply"), "managed by fluxiac");
    assert.equal(a.metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "apps");
    const state = await tf.stateJson();
    const ksState = state.values?.root_module?.resources?.find((r) => r.address === "fluxiac_kustomization.apps")?.values;
    assert.deepEqual(ksState?.inventory, ["apps_a__ConfigMap", "apps_b__ConfigMap", "apps_c__ConfigMap"]);
    assert.equal(ksState?.last_applied_revision, `main@sha1:${head}`);
    assert.equal(ksState?.id, "flux-system/apps");
    assert.equal(out.includes(git.httpPassword), false, "terraform's output never shows the Git password");
    await noChanges("right after apply");
  });

  test("a pushed change shows in the plan, and apply applies it and prunes", async () => {
    const cBefore = (await cm("c")).metadata!.resourceVersion;
    const sha = await repo.commit({ "deploy/a.yaml": configMap("a", { color: "green" }), "deploy/b.yaml": null });
    const plan = await tf.planJson();
    const source = change(plan, "fluxiac_git_repository.apps");
    assert.deepEqual(source.actions, ["update"]);
    assert.equal((source.after?.artifact as { revision: string }).revision, `main@sha1:${sha}`);
    const ks = change(plan, "fluxiac_kustomization.apps");
    assert.deepEqual(ks.actions, ["update"]);
    assert.deepEqual(ks.after?.plan, { revision: `main@sha1:${sha}`, create: [], update: ["ConfigMap/apps/a"], prune: ["ConfigMap/apps/b"], drifted: [] });
    assert.deepEqual(ks.after?.inventory, ["apps_a__ConfigMap", "apps_c__ConfigMap"]);
    assert.equal((await cm("a")).data?.color, "blue", "plan changed nothing");

    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("a")).data?.color, "green");
    assert.equal(await exists("b"), false, "b was pruned");
    assert.equal((await cm("c")).metadata!.resourceVersion, cBefore, "an unchanged object keeps its resourceVersion");
    await noChanges("after applying the push");
  });

  test("the provider's log shows the plan reusing the refresh's dry-run, and never a credential", async () => {
    const logPath = join(scratch, "provider.log");
    const r = await run("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode"], { cwd: tf.dir, env: { ...tf.env, TF_LOG_PROVIDER: "DEBUG", TF_LOG_PATH: logPath } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const log = readFileSync(logPath, "utf8");
    assert.match(log, /Kustomization "apps": the plan reuses the refresh's build and dry-run/);
    for (const secret of [git.httpPassword, cp.adminToken]) assert.equal(log.includes(secret), false, "no credential in the provider's log");
  });

  test("drift made by hand shows in the refresh and the plan; apply corrects it", async () => {
    await core.patchNamespacedConfigMap(
      { name: "a", namespace: NS, body: { data: { color: "hand-edited" } }, fieldManager: "kubectl-edit" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const plan = await tf.planJson();
    const drift = plan.resource_drift?.find((r) => r.address === "fluxiac_kustomization.apps");
    assert.deepEqual(drift?.change.after?.drift, ["ConfigMap/apps/a"], "the refresh reports the drifted object");
    const ks = change(plan, "fluxiac_kustomization.apps");
    assert.deepEqual(ks.actions, ["update"]);
    assert.deepEqual((ks.after?.plan as { drifted: string[] }).drifted, ["ConfigMap/apps/a"]);
    assert.deepEqual((ks.after?.plan as { update: string[] }).update, []);
    assert.equal((await cm("a")).data?.color, "hand-edited");
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("a")).data?.color, "green");
    await noChanges("after correcting the drift");
  });

  test("invalid configuration makes terraform print fluxiac's diagnostic with the attribute path", async () => {
    await tf.writeConfig(config({ ref: { commit: "abc123" } }));
    const r = await tf.terraform("validate", "-json");
    const result = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; range?: { filename: string }; snippet?: { context: string; code: string } }[] };
    assert.equal(result.valid, false);
    const d = result.diagnostics.find((x) => x.summary.includes("ref.commit must be a full 40-character SHA-1"));
    assert.ok(d, `fluxiac's diagnostic: ${r.stdout}`);
    assert.equal(d.summary, 'GitRepository "apps": ref.commit must be a full 40-character SHA-1');
    assert.equal(d.range?.filename, "main.tf.json");
    assert.match(d.snippet?.code ?? "", /"commit": "abc123"/, "terraform points at the attribute ref.commit");
    const human = await tf.terraform("plan", "-input=false", "-no-color");
    assert.notEqual(human.code, 0);
    assert.match(human.stderr, /GitRepository "apps": ref\.commit must be a full 40-character SHA-1/);
    assert.match(human.stderr, /"commit": "abc123"/);
    await tf.writeConfig(config());
  });

  test("a path missing from the artifact fails the plan, naming the Kustomization, and changes nothing", async () => {
    const broken = config();
    broken.resource.fluxiac_kustomization.apps.path = "./missing";
    await tf.writeConfig(broken);
    const before = (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`);
    const r = await tf.terraform("apply", "-input=false", "-no-color", "-auto-approve");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Kustomization "apps": path "\.\/missing" not found in artifact main@sha1:[0-9a-f]{40}/);
    const afterList = (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`);
    assert.deepEqual(afterList, before, "nothing was applied or pruned");
    await tf.writeConfig(config());
    await noChanges("with the configuration restored");
  });

  test("import by name reads the Kustomization's inventory from the cluster", async () => {
    await tf.must("state", "rm", "fluxiac_kustomization.apps");
    await tf.must("import", "-input=false", "-no-color", "fluxiac_kustomization.apps", "apps");
    const state = await tf.stateJson();
    const ksState = state.values?.root_module?.resources?.find((r) => r.address === "fluxiac_kustomization.apps")?.values;
    assert.deepEqual(ksState?.inventory, ["apps_a__ConfigMap", "apps_c__ConfigMap"], "the inventory comes from the ownership labels");
    const plan = await tf.planJson();
    const ks = change(plan, "fluxiac_kustomization.apps");
    assert.deepEqual(ks.actions, ["update"], "the imported Kustomization is updated in place, not recreated");
    assert.deepEqual((ks.after?.plan as { create: string[] }).create, []);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    await noChanges("after applying the import");
  });

  test("a dependency that is not ready stops the apply before anything is applied", async () => {
    const blocked = config();
    Object.assign(blocked.resource.fluxiac_kustomization, {
      blocked: { name: "blocked", source_ref: "${fluxiac_git_repository.apps.source_reference}", path: "./deploy", prune: true, dependencies: [JSON.stringify({ name: "ghost" })] },
    });
    await tf.writeConfig(blocked);
    const r = await tf.terraform("apply", "-input=false", "-no-color", "-auto-approve");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Kustomization "blocked": dependency not ready: Kustomization "ghost": it has not applied a revision yet; nothing was applied/);
    const labelled = (await core.listNamespacedConfigMap({ namespace: NS, labelSelector: "kustomize.toolkit.fluxcd.io/name=blocked" })).items;
    assert.deepEqual(labelled, [], "nothing carries the blocked Kustomization's labels");
    await tf.writeConfig(config());
    await noChanges("once the blocked Kustomization is gone from the configuration");
  });

  test("a Kustomization whose path is known only during apply plans as known after apply, then applies", async () => {
    await repo.commit({ "late/d.yaml": configMap("d", { when: "late" }) });
    const withLate = config();
    Object.assign(withLate.resource, { terraform_data: { late_path: { input: "./late" } } });
    Object.assign(withLate.resource.fluxiac_kustomization, {
      late: {
        name: "late",
        source_ref: "${fluxiac_git_repository.apps.source_reference}",
        path: "${terraform_data.late_path.output}",
        prune: true,
        dependencies: ["${fluxiac_kustomization.apps.dependency}"],
      },
    });
    await tf.writeConfig(withLate);
    const plan = await tf.planJson();
    const late = change(plan, "fluxiac_kustomization.late");
    assert.deepEqual(late.actions, ["create"]);
    assert.equal(late.after_unknown.plan, true, "the plan is known after apply");
    assert.equal(late.after_unknown.inventory, true);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("d")).data?.when, "late");
    assert.equal((await cm("d")).metadata?.labels?.["kustomize.toolkit.fluxcd.io/name"], "late");
    const state = await tf.stateJson();
    const lateState = state.values?.root_module?.resources?.find((r) => r.address === "fluxiac_kustomization.late")?.values;
    assert.deepEqual(lateState?.inventory, ["apps_d__ConfigMap"]);
    const appsState = state.values?.root_module?.resources?.find((r) => r.address === "fluxiac_kustomization.apps")?.values;
    const head = await repo.head();
    assert.deepEqual(JSON.parse(String(appsState?.dependency)), {
      name: "apps",
      revision: `main@sha1:${head}`,
      lastAppliedRevision: `main@sha1:${head}`,
      health: { status: "Current", message: "no health checks", checked: 0 },
      suspend: false,
    });
    await noChanges("after applying what was unknown at plan time");
  });

  test("a provider configured from a value known only after apply plans the Kustomization as known after apply", async () => {
    await repo.commit({ "other/e.yaml": configMap("e", { cluster: "later" }) });
    const second = await terraformWorkspace(join(scratch, "second"));
    const base = config();
    await second.writeConfig({
      terraform: base.terraform,
      provider: { fluxiac: { config_raw: "${terraform_data.kubeconfig.output}" } },
      resource: {
        terraform_data: { kubeconfig: { input: cp.kubeconfig } },
        fluxiac_git_repository: { other: { ...base.resource.fluxiac_git_repository.apps, name: "other" } },
        fluxiac_kustomization: { other: { name: "other", source_ref: "${fluxiac_git_repository.other.source_reference}", path: "./other", prune: true } },
      },
    });
    await second.must("init", "-input=false", "-no-color");
    const plan = await second.planJson();
    assert.ok((change(plan, "fluxiac_git_repository.other").after?.artifact as { revision?: string })?.revision, "the source needs no cluster and plans as usual");
    assert.equal(change(plan, "fluxiac_kustomization.other").after_unknown.plan, true);
    await second.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal((await cm("e")).data?.cluster, "later");
    const again = await second.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(again.code, 0, `no changes once the provider's configuration is known:\n${again.stdout}${again.stderr}`);
    await second.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await exists("e"), false);
  });

  test("the provider's default_service_account is impersonated by a Kustomization without service_account_name", async () => {
    await repo.commit({ "defaulted/d.yaml": configMap("d", { who: "fallback" }) });
    const third = await terraformWorkspace(join(scratch, "third"));
    const base = config();
    await third.writeConfig({
      terraform: base.terraform,
      provider: { fluxiac: { ...base.provider.fluxiac, default_service_account: "fallback" } },
      resource: {
        fluxiac_git_repository: { defaulted: { ...base.resource.fluxiac_git_repository.apps, name: "defaulted" } },
        fluxiac_kustomization: { defaulted: { name: "defaulted", source_ref: "${fluxiac_git_repository.defaulted.source_reference}", path: "./defaulted", prune: true } },
      },
    });
    await third.must("init", "-input=false", "-no-color");
    const denied = await third.terraform("plan", "-input=false", "-no-color");
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr.replace(/\s+/g, " "), /Kustomization "defaulted": ConfigMap\/apps\/d .*"system:serviceaccount:flux-system:fallback" cannot \w+ resource "configmaps"/);

    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: NS, body: { metadata: { name: "fallback" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "patch", "update", "delete"] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: { metadata: { name: "fallback" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "fallback" }, subjects: [{ kind: "ServiceAccount", name: "fallback", namespace: "flux-system" }] },
    });
    await third.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal((await cm("d")).data?.who, "fallback", "granted a Role, the default service account applies");
    await third.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await exists("d"), false);
  });

  test("a Kustomization whose dependency creates its namespace in the same run plans as known after apply, then applies", async () => {
    await repo.commit({
      "layers/infra/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
      "layers/shop/price.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: price\n  namespace: shop\ndata:\n  eur: \"3\"\n",
    });
    const layered = await terraformWorkspace(join(scratch, "layered"));
    const base = config();
    const source = "${fluxiac_git_repository.layers.source_reference}";
    await layered.writeConfig({
      ...base,
      resource: {
        fluxiac_git_repository: { layers: { ...base.resource.fluxiac_git_repository.apps, name: "layers" } },
        fluxiac_kustomization: {
          infra: { name: "infra", source_ref: source, path: "./layers/infra", prune: true },
          shop: { name: "shop", source_ref: source, path: "./layers/shop", prune: true, dependencies: ["${fluxiac_kustomization.infra.dependency}"] },
        },
      },
    });
    await layered.must("init", "-input=false", "-no-color");
    // The namespace does not exist yet, so the shop's dry-run cannot run before infra is applied.
    const plan = await layered.planJson();
    assert.deepEqual(change(plan, "fluxiac_kustomization.infra").after?.plan, {
      revision: `main@sha1:${await repo.head()}`, create: ["Namespace/shop"], update: [], prune: [], drifted: [],
    });
    assert.equal(change(plan, "fluxiac_kustomization.shop").after_unknown.plan, true, "the shop is planned as known after apply");
    await layered.must("apply", "-input=false", "-no-color", "tfplan");
    const price = await core.readNamespacedConfigMap({ name: "price", namespace: "shop" });
    assert.equal(price.data?.eur, "3");
    const again = await layered.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(again.code, 0, `no changes after the layered apply:\n${again.stdout}${again.stderr}`);
    await layered.must("destroy", "-input=false", "-no-color", "-auto-approve");
    await assert.rejects(core.readNamespacedConfigMap({ name: "price", namespace: "shop" }), (e: { code?: number }) => e.code === 404);
  });

  test("destroy removes exactly the objects in the inventory", async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "hand-made" }, data: { x: "y" } } });
    await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await exists("a"), false);
    assert.equal(await exists("c"), false);
    assert.equal(await exists("d"), false);
    assert.equal(await exists("hand-made"), true, "objects outside the inventory survive");
    const state = await tf.stateJson();
    assert.equal(state.values?.root_module?.resources?.length ?? 0, 0, "the state is empty");
  });
});
