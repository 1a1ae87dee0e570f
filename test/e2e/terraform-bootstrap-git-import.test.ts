// fluxiac_bootstrap_git's secret_name, kustomization_override and commit_message_appendix, and
// `terraform import`, end to end: real terraform 1.11, a real HTTPS Git server and a real API server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { must } from "../harness/proc";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-boot-import-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const BOOT = "fluxiac_bootstrap_git.flux";
const APPENDIX = "Change-Id: I0123456789abcdef";
const KUSTOMIZATION = "clusters/prod/flux-system/kustomization.yaml";
const OVERRIDE = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- gotk-sync.yaml
patches:
- patch: |
    - op: replace
      path: /spec/interval
      value: 5m0s
  target:
    kind: GitRepository
    name: flux-system
`;

function change(plan: TerraformPlan, address: string) {
  const c = plan.resource_changes?.find((r) => r.address === address);
  assert.ok(c, `the plan has ${address}: ${JSON.stringify(plan.resource_changes?.map((r) => r.address))}`);
  return c.change;
}

describe("fluxiac_bootstrap_git options and import, over HTTPS", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let tf: TerraformWorkspace;
  let core: k8s.CoreV1Api;

  const bare = (...args: string[]) => must(tool("git"), ["--git-dir", repo.path, ...args]);
  const commits = async () => Number((await bare("rev-list", "--count", "main")).trim());
  const secretExists = (name: string) => core.readNamespacedSecret({ name, namespace: "flux-system" }).then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
  const stateOf = async () => (await tf.stateJson()).values?.root_module?.resources?.find((r) => r.address === BOOT)?.values;
  const noChanges = async (when: string) => {
    const r = await tf.terraform("plan", "-input=false", "-no-color", "-detailed-exitcode");
    assert.equal(r.code, 0, `no changes ${when}:\n${r.stdout}${r.stderr}`);
  };
  const config = (extra: Record<string, unknown>) => ({
    terraform: { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } },
    provider: { fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } },
    resource: {
      fluxiac_bootstrap_git: {
        flux: { name: "flux-system", url: repo.httpsUrl, auth: { username: git.httpUser, password: git.httpPassword }, tls: { ca_cert: git.caPem }, path: "clusters/prod", ...extra },
      },
    },
  });

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    repo = await git.createRepo("fleet-import");
    await repo.commit({ "clusters/prod/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\n" });
    tf = await terraformWorkspace(scratch);
    await tf.writeConfig(config({ secret_name: "git-creds", kustomization_override: OVERRIDE, commit_message_appendix: APPENDIX }));
    await tf.must("init", "-input=false", "-no-color");
  });
  after(() => Promise.all([cp?.stop(), git?.stop()]));

  test("an invalid kustomization_override is a diagnostic on that attribute, before anything is pushed", async () => {
    await tf.writeConfig(config({ kustomization_override: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- app.yaml\n" }));
    const r = await tf.terraform("plan", "-input=false", "-no-color");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BootstrapGit "flux-system": kustomizationOverride must list gotk-sync\.yaml in resources/);
    assert.match(r.stderr, /kustomization_override/, "the diagnostic points at the attribute");
    assert.equal(await commits(), 1, "nothing pushed");
  });

  test("secret_name, kustomization_override and commit_message_appendix: one commit with the appendix, the override, the named Secret; the next plan is empty", async () => {
    await tf.writeConfig(config({ secret_name: "git-creds", kustomization_override: OVERRIDE, commit_message_appendix: APPENDIX }));
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await commits(), 2);
    assert.equal((await bare("log", "-1", "--format=%B", "main")).trim(), `Add Flux sync manifests\n\n${APPENDIX}`);
    assert.equal(await bare("show", `main:${KUSTOMIZATION}`), OVERRIDE);
    assert.match(await bare("show", "main:clusters/prod/flux-system/gotk-sync.yaml"), /secretRef:\n {4}name: git-creds\n/);
    assert.ok(await secretExists("git-creds"));
    assert.equal(await secretExists("flux-system"), false);
    assert.equal(((await stateOf())?.repository_files as Record<string, string>)[KUSTOMIZATION], OVERRIDE);
    await noChanges("after the bootstrap");
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await commits(), 2, "a second apply makes no commit");
  });

  test("an id that names no bootstrap is refused, naming the id format", async () => {
    await tf.must("state", "rm", BOOT);
    for (const [id, message] of [
      ["other/flux-system", /namespace "other" is not bootstrapped/],
      ["a/b/c", /import id must be <namespace>\/<name>, or <name>/],
    ] as const) {
      const r = await tf.terraform("import", "-input=false", "-no-color", BOOT, id);
      assert.notEqual(r.code, 0, id);
      assert.match(r.stderr, message, id);
    }
  });

  test("terraform import by <name> reads the bootstrap back; the plan shows no change and makes no commit", async () => {
    // The attributes import can read: url, path, branch, secret_name and the Secret's credentials.
    await tf.writeConfig(config({ secret_name: "git-creds" }));
    await tf.must("import", "-input=false", "-no-color", BOOT, "flux-system");
    const state = await stateOf();
    assert.equal(state?.revision, `main@sha1:${await repo.head()}`);
    assert.equal(state?.secret_name, "git-creds");
    assert.equal(((state?.repository_files as Record<string, string>) ?? {})[KUSTOMIZATION], OVERRIDE);
    await noChanges("after the import");
    await tf.must("apply", "-input=false", "-no-color", "-auto-approve");
    assert.equal(await commits(), 2, "no commit");
  });

  test("attributes import cannot read are an in-place update that commits nothing when the repository matches", async () => {
    await tf.writeConfig(config({ secret_name: "git-creds", kustomization_override: OVERRIDE, commit_message_appendix: APPENDIX }));
    const plan = await tf.planJson();
    const boot = change(plan, BOOT);
    assert.deepEqual(boot.actions, ["update"]);
    assert.deepEqual((boot.after?.plan as { files: string[] }).files, []);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal(await commits(), 2, "no commit");
    await noChanges("after recording the configuration");
  });

  test("a new secret_name moves the credentials: gotk-sync.yaml is committed and the old Secret fluxiac created is removed", async () => {
    await tf.writeConfig(config({ secret_name: "git-creds-2", kustomization_override: OVERRIDE, commit_message_appendix: APPENDIX }));
    const plan = await tf.planJson();
    const summary = change(plan, BOOT).after?.plan as { files: string[]; secret: string };
    assert.deepEqual([summary.files, summary.secret], [["clusters/prod/flux-system/gotk-sync.yaml"], "create"]);
    await tf.must("apply", "-input=false", "-no-color", "tfplan");
    assert.equal(await commits(), 3);
    assert.match(await bare("show", "main:clusters/prod/flux-system/gotk-sync.yaml"), /secretRef:\n {4}name: git-creds-2\n/);
    assert.deepEqual([await secretExists("git-creds-2"), await secretExists("git-creds")], [true, false]);
    await noChanges("after the rename");
  });
});
