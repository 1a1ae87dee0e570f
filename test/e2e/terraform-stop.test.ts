// Ctrl-C during `terraform apply`: Terraform calls StopProvider while fluxiac waits for a Deployment
// that never becomes ready (no kubelet in the test bed), in a Kustomization's health check and in helm's
// --wait of a HelmRelease. The wait ends at once, the diagnostic says why, and the state records what was
// applied, so the next plan finds no orphan. One control plane serves both.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { helmHistory } from "../harness/helm-charts";
import { startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { terraformWorkspace, type TerraformPlan, type TerraformWorkspace } from "../harness/terraform";
import { tool } from "../harness/tools";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-tf-stop-test-"));

const NS = "apps";
const DEPLOYMENT_ID = `${NS}_web_apps_Deployment`;
const ADDRESS = "fluxiac_kustomization.apps";

const deployment = (name: string, namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: web
          image: registry.invalid/web:1.0.0
`;

/** Interrupted is what an interrupted terraform printed, and how long it took to exit after the interrupt. */
interface Interrupted {
  code: number | null;
  output: string;
  exitMs: number;
}

/**
 * applyAndInterrupt starts `terraform apply` in its own process group and, once `ready` holds, sends
 * SIGINT to the group, as Ctrl-C in a terminal does (Terraform and the provider both get it).
 */
async function applyAndInterrupt(tf: TerraformWorkspace, ready: () => Promise<boolean>): Promise<Interrupted> {
  const child = spawn(tool("terraform"), ["apply", "-input=false", "-no-color", "-auto-approve"], { cwd: tf.dir, env: tf.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 120_000;
  while (!done && !(await ready())) {
    assert.ok(Date.now() < deadline, `the apply reached the cluster within 2 minutes:\n${output}`);
    await sleep(200);
  }
  assert.equal(done, false, `terraform was still applying when the Deployment appeared:\n${output}`);
  // The provider starts waiting right after the apply; give it a moment to be in the wait.
  await sleep(1000);
  const interruptedAt = Date.now();
  process.kill(-child.pid!, "SIGINT");
  const code = await exited;
  tf.log.push(`$ terraform apply (interrupted, exit ${code})\n${output}`);
  return { code, output, exitMs: Date.now() - interruptedAt };
}

/** provider is the provider block for the test control plane. */
const provider = (cp: ControlPlane) => ({ fluxiac: { host: cp.server, token: cp.adminToken, cluster_ca_certificate: cp.caPem } });
const required = { required_providers: { fluxiac: { source: "fluxiac/fluxiac" } } };

describe("Ctrl-C during terraform apply (StopProvider)", () => {
  let cp: ControlPlane;
  let apps: k8s.AppsV1Api;

  const deploymentExists = (name: string, namespace: string) => () =>
    apps.readNamespacedDeployment({ name, namespace }).then(() => true, (e) => (e.code === 404 ? false : Promise.reject(e)));

  before(async () => {
    cp = await startControlPlane();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });

  after(async () => {
    await cp?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe("in a Kustomization's health check", () => {
    let git: GitServer;
    let repo: GitRepo;
    let tf: TerraformWorkspace;
    const webExists = deploymentExists("web", NS);

    before(async () => {
      git = await startGitServer();
      const kc = new k8s.KubeConfig();
      kc.loadFromString(cp.kubeconfig);
      await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
      repo = await git.createRepo("fleet");
      await repo.commit({ "deploy/web.yaml": deployment("web", NS) });
      tf = await terraformWorkspace(join(scratch, "kustomization"));
      await tf.writeConfig({
        terraform: required,
        provider: provider(cp),
        resource: {
          fluxiac_git_repository: { apps: { name: "apps", url: repo.httpUrl, ref: { branch: "main" }, auth: { username: git.httpUser, password: git.httpPassword } } },
          fluxiac_kustomization: { apps: { name: "apps", source_ref: "${fluxiac_git_repository.apps.source_reference}", path: "./deploy", prune: true, wait: true, timeout: "10m" } },
        },
      });
      await tf.must("init", "-input=false", "-no-color");
    });

    after(() => git?.stop());

    test("the health wait stops promptly, the diagnostic says so, and the state keeps the applied Deployment", async (t) => {
      // Given an apply waiting (timeout 10m) for a Deployment that never becomes ready
      // When the user presses Ctrl-C
      const r = await applyAndInterrupt(tf, webExists);
      t.diagnostic(`terraform exited ${r.exitMs} ms after the interrupt`);

      // Then terraform exits well before the timeout, with fluxiac's cancellation diagnostic
      assert.ok(r.exitMs < 20_000, `terraform exited ${r.exitMs} ms after the interrupt:\n${r.output}`);
      assert.notEqual(r.code, 0, `an interrupted apply fails:\n${r.output}`);
      assert.match(r.output, /Interrupt received/);
      assert.match(r.output, /Kustomization "apps": health check cancelled after \d+s \(the run was interrupted\) while waiting for Deployment\/apps\/web/);
      assert.match(r.output, /nothing was pruned/);

      // And the state records the Deployment in the inventory, its health not Current, and no applied revision
      const state = (await tf.stateJson()).values?.root_module?.resources?.find((x) => x.address === ADDRESS)?.values;
      assert.ok(state, `the interrupted Kustomization is in the state:\n${r.output}`);
      assert.deepEqual(state.inventory, [DEPLOYMENT_ID]);
      assert.equal(state.last_applied_revision, "", "the revision is applied only once healthy");
      assert.equal((state.health as { status: string }).status, "InProgress");
      assert.equal(await webExists(), true, "nothing was pruned");
    });

    test("the next plan sees the Deployment in the inventory; untainted, it is an update that creates and prunes nothing", async () => {
      // Given the interrupted create, which Terraform taints as it does every failed create
      const text = await tf.must("plan", "-input=false", "-no-color");
      assert.match(text, /fluxiac_kustomization\.apps is tainted, so must be\s+replaced/);
      const plan = async () => {
        await tf.must("plan", "-input=false", "-no-color", "-out=tfplan");
        const ks = (JSON.parse(await tf.must("show", "-json", "tfplan")) as TerraformPlan).resource_changes?.find((c) => c.address === ADDRESS)?.change;
        assert.ok(ks, `the plan has ${ADDRESS}`);
        return ks;
      };
      const replace = await plan();
      assert.deepEqual(replace.actions, ["delete", "create"]);
      assert.deepEqual(replace.before?.inventory, [DEPLOYMENT_ID], "the replacement's delete knows the Deployment: it is no orphan");

      // When the user keeps what was applied
      await tf.must("untaint", "-no-color", ADDRESS);

      // Then the plan updates in place: the Deployment is neither created again nor pruned
      const update = await plan();
      assert.deepEqual(update.actions, ["update"], "the revision still has to be applied (healthy)");
      assert.deepEqual(update.before?.inventory, [DEPLOYMENT_ID]);
      assert.deepEqual(update.after?.inventory, [DEPLOYMENT_ID]);
      const summary = update.after?.plan as { create: string[]; prune: string[] };
      assert.deepEqual(summary.create, []);
      assert.deepEqual(summary.prune, []);
    });

    test("destroy deletes the Deployment that the interrupted apply left", async () => {
      await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
      assert.equal(await webExists(), false);
    });
  });

  describe("in helm's --wait of a HelmRelease install", () => {
    const HR_NS = "shop";
    const RELEASE = `${HR_NS}-web`;
    const ADDR = "fluxiac_helm_release.web";
    let charts: HelmRepoServer;
    let tf: TerraformWorkspace;

    before(async () => {
      charts = await startHelmRepo({ dir: scratch });
      await charts.addChart({ name: "slow", version: "1.0.0", values: "", files: { "templates/deployment.yaml": deployment("{{ .Release.Name }}", "{{ .Release.Namespace }}") } });
      tf = await terraformWorkspace(join(scratch, "helm"));
      await tf.writeConfig({
        terraform: required,
        provider: provider(cp),
        resource: {
          fluxiac_helm_repository: { charts: { name: "charts", url: charts.url } },
          fluxiac_helm_release: {
            web: { name: "web", namespace: "default", target_namespace: HR_NS, timeout: "10m", chart: { spec: { chart: "slow", version: "1.0.0", source_ref: "${fluxiac_helm_repository.charts.source_reference}" } }, install: { create_namespace: true } },
          },
        },
      });
      await tf.must("init", "-input=false", "-no-color");
    });

    after(() => charts?.stop());

    test("helm stops promptly, and the state records the release as helm left it", async (t) => {
      // Given an install waiting (timeout 10m) for a Deployment that never becomes ready
      // When the user presses Ctrl-C
      const r = await applyAndInterrupt(tf, deploymentExists(RELEASE, HR_NS));
      t.diagnostic(`terraform exited ${r.exitMs} ms after the interrupt: ${r.output.match(/HelmRelease "web": [^\n]*/)?.[0]}`);
      // Then terraform exits well before the timeout, with fluxiac's diagnostic naming the release's version
      assert.ok(r.exitMs < 20_000, `terraform exited ${r.exitMs} ms after the interrupt:\n${r.output}`);
      assert.notEqual(r.code, 0, `an interrupted apply fails:\n${r.output}`);
      assert.match(r.output, /HelmRelease "web": install was cancelled \(the run was interrupted\): apply again to finish; the release is at version 1 \(failed\)/);
      // And the release is in the state, so the next plan knows it (no orphan release)
      const hist = await helmHistory(cp.kubeconfigPath, RELEASE, HR_NS);
      assert.deepEqual(hist.map((h) => [h.revision, h.status]), [[1, "failed"]], "helm had time to record the cancelled install as failed");
      const state = (await tf.stateJson()).values?.root_module?.resources?.find((x) => x.address === ADDR)?.values;
      assert.ok(state, `the interrupted HelmRelease is in the state:\n${r.output}`);
      assert.deepEqual([state.revision, state.status], [1, hist[0].status]);
    });

    test("destroy uninstalls the release the interrupted apply left", async () => {
      await tf.must("destroy", "-input=false", "-no-color", "-auto-approve");
      assert.deepEqual(await helmHistory(cp.kubeconfigPath, RELEASE, HR_NS).catch(() => []), []);
    });
  });
});
