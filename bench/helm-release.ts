// Benchmark: a HelmRelease of a generated chart of about 100 objects (ConfigMaps, headless Services,
// Deployments) against a real control plane and a real chart repository, in-process and through the real
// Pulumi engine, beside `helm upgrade --install` of the same chart in the same run.
//   npm run bench:helm        (BENCH_OBJECTS=100, BENCH_RUNS=3 by default)
// Each row is the median of BENCH_RUNS runs: wall time, CPU time (this process and the processes it
// reaped), the helm processes fluxiac started (counted by a wrapper) and the API server's requests.
// Deployments are not waited for (install/upgrade disableWait, helm without --wait): the test control
// plane has no kubelet. The Pulumi figures include the HelmRepository and HelmChart of the program.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import type { Artifact } from "../src/core/artifact/artifact";
import { ArtifactStore } from "../src/core/artifact/store";
import { silentLogger } from "../src/core/log";
import type { HelmReleaseSpec } from "../src/core/helm/types";
import type { ReconcileContext } from "../src/core/reconcile/context";
import { applyHelmRelease, planHelmRelease, type HelmReleaseStatus } from "../src/core/reconcile/helm-release";
import { planHelmRepository } from "../src/core/reconcile/helm-repository";
import { startControlPlane } from "../test/harness/control-plane";
import { chartFiles, startHelmRepo, type ChartSource } from "../test/harness/helm-repo";
import { pulumiProgram, type PulumiProgram } from "../test/harness/pulumi";
import { tool } from "../test/harness/tools";
import { countingWrapper, Meter, settleDeployments, summary, type Sample } from "./measure";

const run = promisify(execFile);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** benchChart is a chart of OBJECTS objects, a third each ConfigMaps, Services and Deployments. */
function benchChart(): ChartSource {
  const n = Math.ceil(OBJECTS / 3);
  const loop = (count: number, body: string) => `{{- range $i := until ${count} }}\n---\n${body}{{- end }}\n`;
  const meta = (kind: string) => `metadata:\n  name: {{ $.Release.Name }}-${kind}-{{ $i }}\n  labels:\n    app: {{ $.Release.Name }}-{{ $i }}\n`;
  return {
    name: "bench",
    version: "1.0.0",
    values: "level: info\nimage: registry.example.com/web\n",
    files: {
      "templates/configmap.yaml": "",
      "templates/cm.yaml": loop(n, `apiVersion: v1\nkind: ConfigMap\n${meta("cm")}data:\n  index: "{{ $i }}"\n  settings: |\n    level={{ $.Values.level }}\n    workers=4\n`),
      "templates/svc.yaml": loop(n, `apiVersion: v1\nkind: Service\n${meta("svc")}spec:\n  clusterIP: None\n  selector:\n    app: {{ $.Release.Name }}-{{ $i }}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n`),
      "templates/deploy.yaml": loop(OBJECTS - 2 * n, `apiVersion: apps/v1\nkind: Deployment\n${meta("deploy")}spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {{ $.Release.Name }}-{{ $i }}\n  template:\n    metadata:\n      labels:\n        app: {{ $.Release.Name }}-{{ $i }}\n    spec:\n      containers:\n      - name: web\n        image: {{ $.Values.image }}:1.0.{{ $i }}\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n`),
    },
  };
}

/** PROGRAM is a HelmRepository and a HelmRelease of the benchmark chart. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { HelmRepository, HelmRelease } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new HelmRepository("bench", { url: cfg.require("url") });
new HelmRelease("bench", {
  chart: { spec: { chart: "bench", version: "1.x", sourceRef: repo } },
  namespace: "default",
  targetNamespace: cfg.require("namespace"),
  values: { level: cfg.require("level") },
  install: { disableWait: true, createNamespace: true },
  upgrade: { disableWait: true },
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
`;

/** Row is one operation: fluxiac's samples beside helm's. */
interface Row {
  name: string;
  ours: Sample[];
  helm: Sample[];
}

function print(how: string, rows: Row[]): void {
  for (const r of rows) {
    const [o, h] = [summary(r.ours), summary(r.helm)];
    const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
    console.log(`${r.name.padEnd(26)} ${how.padEnd(10)} ${ms(o.wall)} wall ${ms(o.cpu)} CPU | helm upgrade --install ${ms(h.wall)} wall ${ms(h.cpu)} CPU | wall ratio ${(o.wall / h.wall).toFixed(2)}`);
    console.log(`${"".padEnd(27)}fluxiac: ${o.counts}`);
    console.log(`${"".padEnd(27)}helm:    ${h.counts}`);
  }
}

async function main(): Promise<void> {
  const [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo()]);
  const work = await mkdtemp(join(tmpdir(), "fluxiac-bench-helm-"));
  const programs: PulumiProgram[] = [];
  try {
    const kubeconfig = join(work, "kubeconfig");
    await writeFile(kubeconfig, cp.kubeconfig, { mode: 0o600 });
    const chart = benchChart();
    await charts.addChart(chart);
    const chartDir = join(work, "chart");
    for (const [path, text] of Object.entries(chartFiles(chart))) {
      await mkdir(dirname(join(chartDir, path)), { recursive: true });
      await writeFile(join(chartDir, path), text);
    }
    const helmEnv = { ...process.env, HELM_CACHE_HOME: join(work, "helm", "cache"), HELM_CONFIG_HOME: join(work, "helm", "config"), HELM_DATA_HOME: join(work, "helm", "data") };
    const helm = (release: string, level = "info") =>
      run(tool("helm"), ["upgrade", "--install", release, chartDir, "--namespace", release, "--create-namespace", "--set", `level=${level}`, "--kubeconfig", kubeconfig], { env: helmEnv });
    const processLog = join(work, "processes.log");
    const wrapper = await countingWrapper(join(work, "helm-counting"), tool("helm"), processLog);
    process.env.FLUXIAC_HELM = wrapper;
    const meter = new Meter(tool("kubectl"), kubeconfig, processLog);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const settle = () => settleDeployments(apps, 1000);
    const measure = async (fn: () => Promise<unknown>) => {
      await settle();
      return meter.measure(fn);
    };
    const row = (name: string): Row => ({ name, ours: [], helm: [] });
    console.log(`HelmRelease of a chart of ${OBJECTS} objects (ConfigMaps, Services, Deployments); median of ${RUNS} runs`);
    console.log("CPU is this process plus the processes it reaped (helm, the post-renderer, the Pulumi CLI and its providers)");

    // The engine in-process: what the provider does under `pulumi up` (check = plan, then create/update = apply when the plan acts).
    const repoSpec = { url: charts.url };
    const engineSpec = (ns: string, level: string, artifact: Artifact | undefined): HelmReleaseSpec => ({
      chart: { spec: { chart: "bench", version: "1.x", sourceRef: { kind: "HelmRepository", name: "bench", spec: repoSpec, artifact } } },
      namespace: "default", targetNamespace: ns, values: { level }, install: { disableWait: true, createNamespace: true }, upgrade: { disableWait: true }, cluster: { kubeconfig: cp.kubeconfig },
    });
    const engineUp = async (spec: HelmReleaseSpec, status: HelmReleaseStatus | undefined, ctx: ReconcileContext) => {
      const plan = await planHelmRelease("bench", spec, status, ctx);
      if (plan.action !== "none" || !status) return applyHelmRelease("bench", spec, { ...status, helmChart: plan.helmChart }, ctx);
      return status;
    };
    const engine = [row("first install"), row("nothing changed"), row("values changed (upgrade)")];
    let status: HelmReleaseStatus | undefined;
    let ctx!: ReconcileContext;
    let artifact: Artifact | undefined;
    for (let i = 0; i < RUNS; i++) {
      // A new store each run: the first install downloads the chart.
      const runCtx: ReconcileContext = { store: new ArtifactStore(join(work, `store-${i}`)), log: silentLogger };
      const repo = (await planHelmRepository("bench", repoSpec, undefined, runCtx)).artifact;
      let installed: HelmReleaseStatus | undefined;
      engine[0].ours.push(await measure(async () => (installed = await engineUp(engineSpec(`bench-engine-${i}`, "info", repo), undefined, runCtx))));
      engine[0].helm.push(await measure(() => helm(`bench-helm-${i}`)));
      if (i === 0) [status, ctx, artifact] = [installed, runCtx, repo];
    }
    for (let i = 0; i < RUNS; i++) {
      engine[1].ours.push(await measure(async () => (status = await engineUp(engineSpec("bench-engine-0", "info", artifact), status, ctx))));
      engine[1].helm.push(await measure(() => helm("bench-helm-0")));
    }
    for (let i = 0; i < RUNS; i++) {
      engine[2].ours.push(await measure(async () => (status = await engineUp(engineSpec("bench-engine-0", `debug-${i}`, artifact), status, ctx))));
      engine[2].helm.push(await measure(() => helm("bench-helm-0", `debug-${i}`)));
    }
    print("engine", engine);

    // Through the real Pulumi engine: the CLI, the program and the dynamic providers, each up or preview a fresh process.
    const pulumiRows = [row("first install"), row("nothing changed"), row("nothing changed, preview"), row("values changed (upgrade)")];
    const env = { FLUXIAC_HELM: wrapper };
    for (let i = 0; i < RUNS; i++) {
      const config = { url: { value: charts.url }, kubeconfig: { value: cp.kubeconfig, secret: true }, namespace: { value: `bench-pulumi-${i}` }, level: { value: "info" } };
      const prog = await pulumiProgram(`bench-helm-${i}`, PROGRAM, { config, env });
      programs.push(prog);
      pulumiRows[0].ours.push(await measure(() => prog.stack.up()));
      pulumiRows[0].helm.push(await measure(() => helm(`bench-helm-p${i}`)));
    }
    const prog = programs[0];
    for (let i = 0; i < RUNS; i++) {
      pulumiRows[1].ours.push(await measure(() => prog.stack.up()));
      pulumiRows[1].helm.push(await measure(() => helm("bench-helm-p0")));
    }
    for (let i = 0; i < RUNS; i++) {
      pulumiRows[2].ours.push(await measure(() => prog.stack.preview()));
      pulumiRows[2].helm.push(await measure(() => helm("bench-helm-p0")));
    }
    for (let i = 0; i < RUNS; i++) {
      await prog.setConfig({ level: { value: `debug-${i}` } });
      pulumiRows[3].ours.push(await measure(() => prog.stack.up()));
      pulumiRows[3].helm.push(await measure(() => helm("bench-helm-p0", `debug-${i}`)));
    }
    print("pulumi up", pulumiRows.filter((r) => r !== pulumiRows[2]));
    print("preview", [pulumiRows[2]]);
  } finally {
    for (const p of programs) await p.cleanup();
    await Promise.all([cp.stop(), charts.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(String((err as { stderr?: string }).stderr ?? err).slice(0, 2000));
  process.exit(1);
});
