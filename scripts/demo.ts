// `npm run demo`: fluxiac's main job on an embedded default. It starts a local control plane and a
// local Git server, commits examples/quickstart/manifests, and runs the repository's Pulumi.yaml
// (examples/quickstart) through the real Pulumi engine: up, a new commit, preview, up, destroy.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { dirname } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane } from "../test/harness/control-plane";
import { startGitServer } from "../test/harness/git-server";
import { pulumiEnv, REPO_ROOT } from "../test/harness/pulumi";
import { tool } from "../test/harness/tools";

const step = (m: string) => process.stdout.write(`\n\x1b[1m▶ ${m}\x1b[0m\n`);

async function main(): Promise<void> {
  const work = join(REPO_ROOT, ".work", "demo");
  await rm(work, { recursive: true, force: true });
  step("starting a local control plane (etcd, kube-apiserver, kube-controller-manager) and a Git server");
  const [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
  const stackFile = join(REPO_ROOT, "Pulumi.demo.yaml");
  try {
    process.stdout.write(`  API server ${cp.server}\n  Git over HTTP with basic auth at ${git.httpBase}\n`);
    const repo = await git.createRepo("fleet");
    const dir = join(REPO_ROOT, "examples", "quickstart", "manifests");
    const files: Record<string, string> = {};
    for (const f of (await readdir(dir)).filter((f) => f.endsWith(".yaml"))) files[`deploy/${f}`] = await readFile(join(dir, f), "utf8");
    const first = await repo.commit(files, { message: "Add podinfo" });
    process.stdout.write(`  committed ${Object.keys(files).length} manifests to ${repo.httpUrl} (main@${first.slice(0, 7)})\n`);

    const pulumiCommand = await PulumiCommand.get({ root: dirname(dirname(tool("pulumi"))) });
    const envVars = pulumiEnv(work, { KUBECONFIG: cp.kubeconfigPath });
    delete envVars.PULUMI_NODEJS_TRANSPILE_ONLY;
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: "demo", workDir: REPO_ROOT }, { pulumiCommand, envVars });
    await stack.setAllConfig({
      repoUrl: { value: repo.httpUrl },
      username: { value: git.httpUser },
      password: { value: git.httpPassword, secret: true },
      path: { value: "./deploy" },
    });
    const out = { onOutput: (o: string) => process.stdout.write(o) };

    step("pulumi up: fetch the repository, build ./deploy, server-side apply");
    const res = await stack.up(out);
    process.stdout.write(`\n  revision: ${res.outputs.revision.value}\n  digest:   ${res.outputs.digest.value}\n  applied:\n`);
    for (const e of res.outputs.inventory.value.entries) process.stdout.write(`    ${e.id} (${e.v})\n`);

    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: "podinfo", namespace: "podinfo" });
    const managers = d.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`).join(", ");
    process.stdout.write(`  cluster: Deployment podinfo/podinfo replicas=${d.spec?.replicas} field managers: ${managers}\n`);

    step("a new commit scales podinfo to 3 and removes its ConfigMap; pulumi preview shows the plan");
    const deployment = files["deploy/deployment.yaml"].replace("replicas: 2", "replicas: 3").replace(/\s+envFrom:[\s\S]*$/, "\n");
    const second = await repo.commit({ "deploy/deployment.yaml": deployment, "deploy/configmap.yaml": null }, { message: "Scale podinfo" });
    process.stdout.write(`  committed main@${second.slice(0, 7)}\n`);
    await stack.preview({ ...out, diff: true });

    step("pulumi up: apply the change and prune the ConfigMap");
    await stack.up(out);
    const d2 = await apps.readNamespacedDeployment({ name: "podinfo", namespace: "podinfo" });
    process.stdout.write(`  cluster: Deployment podinfo/podinfo replicas=${d2.spec?.replicas}\n`);

    step("pulumi destroy: delete exactly what the inventory holds");
    await stack.destroy(out);
    process.stdout.write("\ndemo finished: fluxiac reconciled a Git repository into a real API server under the real Pulumi engine.\n");
  } finally {
    await rm(stackFile, { force: true });
    await Promise.all([cp.stop(), git.stop()]);
  }
}

main().catch((err) => {
  // Engine output was already streamed; show the tail of the error only.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`demo failed: ${message.split("\n").slice(-25).join("\n")}\n`);
  process.exit(1);
});
