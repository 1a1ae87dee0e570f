// Benchmark: a Kustomization of 1,000 objects against a real control plane, fluxiac's engine beside kubectl.
//   npm run bench:kustomization        (BENCH_OBJECTS=1000 by default)
// Each fluxiac figure is what `pulumi up` / `pulumi preview` make the provider do: check runs the plan
// (build + dry-run), and create/update run the apply. The Pulumi engine's own overhead is not included.
// Services are headless: the test control plane has a small service IP range.
// kubectl runs on the same manifests (another namespace) with `apply --server-side` and `diff --server-side`.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../src/core/artifact/store";
import { silentLogger } from "../src/core/log";
import { planGitRepository } from "../src/core/reconcile/git-repository";
import { applyKustomization, hasChanges, planKustomization, type KustomizationSpec, type KustomizationStatus } from "../src/core/reconcile/kustomization";
import { startControlPlane } from "../test/harness/control-plane";
import { startGitServer } from "../test/harness/git-server";
import { pulumiProgram } from "../test/harness/pulumi";
import { settleDeployments } from "./measure";
import { tool } from "../test/harness/tools";

const run = promisify(execFile);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const DRIFTED = 10;

/** manifests writes OBJECTS objects (a third each ConfigMaps, Services, Deployments) in namespace ns. */
function manifests(ns: string): Record<string, string> {
  const files: Record<string, string> = {};
  const n = Math.floor(OBJECTS / 3);
  for (let i = 0; i < OBJECTS; i++) {
    const kind = i < n ? "cm" : i < 2 * n ? "svc" : "deploy";
    const name = `app-${i}`;
    const meta = `metadata:\n  name: ${name}\n  namespace: ${ns}\n  labels:\n    app: ${name}\n`;
    files[`apps/${kind}/${name}.yaml`] =
      kind === "cm"
        ? `apiVersion: v1\nkind: ConfigMap\n${meta}data:\n  index: "${i}"\n  settings: |\n    level=info\n    workers=4\n`
        : kind === "svc"
          ? `apiVersion: v1\nkind: Service\n${meta}spec:\n  clusterIP: None\n  selector:\n    app: ${name}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n`
          : `apiVersion: apps/v1\nkind: Deployment\n${meta}spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0.${i}\n        ports:\n        - containerPort: 8080\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n`;
  }
  return files;
}

/** PROGRAM is one GitRepository and one Kustomization of the benchmark's manifests. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new GitRepository("bench", { url: cfg.require("url"), ref: { branch: "main" } });
new Kustomization("bench", { sourceRef: repo, path: "./", prune: true, kubeconfig: cfg.requireSecret("kubeconfig") });
`;

/** watchProviderMemory polls the VmHWM (KiB) of Pulumi's dynamic provider processes until stopped. */
function watchProviderMemory(): { stop(): number } {
  let peak = 0;
  const poll = async () => {
    for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      if (!cmd.includes("dynamic-provider")) continue;
      const m = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8").catch(() => ""));
      if (m) peak = Math.max(peak, Number(m[1]));
    }
  };
  const timer = setInterval(() => void poll(), 250);
  return { stop: () => (clearInterval(timer), peak) };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
  const work = await mkdtemp(join(tmpdir(), "fluxiac-bench-ks-"));
  try {
    const kubeconfig = join(work, "kubeconfig");
    await writeFile(kubeconfig, cp.kubeconfig, { mode: 0o600 });
    const kubectl = (...args: string[]) => run(tool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 256 << 20 }).catch((err: { code?: number; stdout?: string }) => {
      if (err.code === 1 && args[0] === "diff") return err; // kubectl diff exits 1 when it found differences
      throw err;
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const ns of ["bench-fluxiac", "bench-kubectl"]) await core.createNamespace({ body: { metadata: { name: ns } } });

    // The same manifests for both: fluxiac reads them from a Git artifact, kubectl from a directory.
    const repo = await git.createRepo("bench");
    await repo.commit(manifests("bench-fluxiac"));
    const kubectlDir = join(work, "manifests");
    for (const [path, text] of Object.entries(manifests("bench-kubectl"))) {
      await mkdir(join(kubectlDir, path, ".."), { recursive: true });
      await writeFile(join(kubectlDir, path), text);
    }
    const ctx = { store: new ArtifactStore(join(work, "store")), log: silentLogger };
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const { artifact } = await planGitRepository("bench", gitSpec, undefined, ctx);
    const spec: KustomizationSpec = { sourceRef: { kind: "GitRepository", name: "bench", spec: gitSpec, artifact }, prune: true, cluster: { kubeconfig: cp.kubeconfig } };
    let status: KustomizationStatus | undefined;
    let phases = "";
    /** up is what `pulumi up` makes the provider do: check (plan), then create/update (apply) only when the plan found changes. */
    const up = async () => {
      const t0 = Date.now();
      const plan = await planKustomization("bench", spec, status, ctx);
      phases = `plan ${Date.now() - t0} ms`;
      if (!status || hasChanges(plan.changes)) {
        const t1 = Date.now();
        const result = await applyKustomization("bench", spec, status, ctx);
        phases += ` + apply ${Date.now() - t1} ms`;
        status = { inventory: result.inventory, objects: plan.objects };
      }
      return plan;
    };
    const preview = () => planKustomization("bench", spec, status, ctx);
    const drift = async (ns: string) => {
      for (let i = 0; i < DRIFTED; i++) {
        await core.patchNamespacedConfigMap(
          { name: `app-${i}`, namespace: ns, body: { data: { index: "drifted" } }, fieldManager: "someone" },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
      }
    };
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const settle = () => settleDeployments(apps, 2000);
    const kApply = () => kubectl("apply", "--server-side", "--force-conflicts", "--field-manager", "bench", "-R", "-f", kubectlDir);
    const kDiff = () => kubectl("diff", "--server-side", "--field-manager", "bench", "-R", "-f", kubectlDir);

    console.log(`Kustomization of ${OBJECTS} objects (ConfigMaps, Services, Deployments); one run each; fluxiac = plan (+ apply when it changes something), in-process`);
    const measure = async (fn: () => Promise<unknown>) => {
      await settle();
      return time(fn);
    };
    const row = (name: string, ours: number, base: number, baseName: string) => {
      console.log(`${name.padEnd(30)} fluxiac ${ours.toFixed(0).padStart(7)} ms   ${baseName.padEnd(28)} ${base.toFixed(0).padStart(7)} ms   ratio ${(ours / base).toFixed(2)}   (${phases})`);
      phases = "";
    };
    row("first apply", await measure(up), await measure(kApply), "kubectl apply --server-side");
    row("apply, nothing changed", await measure(up), await measure(kApply), "kubectl apply --server-side");
    const plan = await preview();
    phases = "plan only";
    if (hasChanges(plan.changes)) throw new Error(`the no-change preview found changes: ${JSON.stringify(plan.changes).slice(0, 300)}`);
    row("preview, nothing changed", await measure(preview), await measure(kDiff), "kubectl diff --server-side");
    await drift("bench-fluxiac");
    await drift("bench-kubectl");
    const repaired = await up();
    if (repaired.changes.drifted.length !== DRIFTED) throw new Error(`expected ${DRIFTED} drifted objects, the plan found ${repaired.changes.drifted.length}`);
    await drift("bench-fluxiac");
    row(`repair drift in ${DRIFTED} objects`, await measure(up), await measure(kApply), "kubectl apply --server-side");
    const cm = await core.readNamespacedConfigMap({ name: "app-0", namespace: "bench-fluxiac" });
    if (cm.data?.index !== "0") throw new Error("fluxiac did not repair the drift");

    console.log(`fluxiac engine peak RSS (VmHWM of this process, control plane excluded): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

    // The same Kustomization through the real Pulumi engine, once, to state the engine's own overhead.
    const pulumiRepo = await git.createRepo("bench-pulumi");
    await pulumiRepo.commit(manifests("bench-pulumi"));
    await core.createNamespace({ body: { metadata: { name: "bench-pulumi" } } });
    const prog = await pulumiProgram("bench-ks", PROGRAM, { config: { url: { value: pulumiRepo.fileUrl }, kubeconfig: { value: cp.kubeconfig, secret: true } } });
    try {
      const peak = watchProviderMemory();
      const pUp = await measure(() => prog.stack.up());
      const pPreview = await measure(() => prog.stack.preview());
      const pNoop = await measure(() => prog.stack.up());
      console.log(`pulumi up (first apply) ${pUp.toFixed(0)} ms; pulumi preview (nothing changed) ${pPreview.toFixed(0)} ms; pulumi up (nothing changed) ${pNoop.toFixed(0)} ms`);
      console.log(`dynamic provider peak RSS (VmHWM, the process that runs fluxiac's engine under Pulumi): ${(peak.stop() / 1024).toFixed(0)} MiB`);
    } finally {
      await prog.cleanup();
    }
  } finally {
    await Promise.all([cp.stop(), git.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(String((err as { stderr?: string }).stderr ?? err).slice(0, 2000));
  process.exit(1);
});
