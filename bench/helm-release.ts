// Benchmark: a HelmRelease of a generated chart of about 100 objects (ConfigMaps, headless Services,
// Deployments) against a real control plane and a real chart repository, through the real Pulumi
// engine, beside `helm upgrade --install` of the same chart in the same run.
//   npm run bench:helm        (BENCH_OBJECTS=100 by default)
// Deployments are not waited for (install/upgrade disableWait, helm without --wait): the test control
// plane has no kubelet. The Pulumi figures include the HelmRepository and HelmChart of the program.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { ArtifactStore } from "../src/core/artifact/store";
import { silentLogger } from "../src/core/log";
import type { HelmReleaseSpec } from "../src/core/helm/types";
import { applyHelmRelease, planHelmRelease, type HelmReleaseStatus } from "../src/core/reconcile/helm-release";
import { planHelmRepository } from "../src/core/reconcile/helm-repository";
import { startControlPlane } from "../test/harness/control-plane";
import { chartFiles, startHelmRepo, type ChartSource } from "../test/harness/helm-repo";
import { pulumiProgram } from "../test/harness/pulumi";
import { tool } from "../test/harness/tools";

const run = promisify(execFile);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 100);

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
  targetNamespace: "bench-fluxiac",
  install: { disableWait: true, createNamespace: true },
  upgrade: { disableWait: true },
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const [cp, charts] = await Promise.all([startControlPlane(), startHelmRepo()]);
  const work = await mkdtemp(join(tmpdir(), "fluxiac-bench-helm-"));
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
    const helm = (release = "bench-helm") => run(tool("helm"), ["upgrade", "--install", release, chartDir, "--namespace", release, "--create-namespace", "--kubeconfig", kubeconfig], { env: helmEnv });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    /** settle waits until the deployment controller caught up with the last install, so no figure pays for the previous one's aftermath. */
    const settle = async () => {
      for (let i = 0; i < 240; i++) {
        const { items } = await apps.listDeploymentForAllNamespaces();
        if (items.every((d) => d.status?.observedGeneration === d.metadata?.generation)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 2000));
    };
    const measure = async (fn: () => Promise<unknown>) => {
      await settle();
      return time(fn);
    };
    // The engine in-process: what the provider does under `pulumi up` (check = plan, then create/update = apply when the plan acts).
    const ctx = { store: new ArtifactStore(join(work, "store")), log: silentLogger };
    const repoSpec = { url: charts.url };
    const { artifact } = await planHelmRepository("bench", repoSpec, undefined, ctx);
    const spec: HelmReleaseSpec = {
      chart: { spec: { chart: "bench", version: "1.x", sourceRef: { kind: "HelmRepository", name: "bench", spec: repoSpec, artifact } } },
      namespace: "default", targetNamespace: "bench-engine", install: { disableWait: true, createNamespace: true }, upgrade: { disableWait: true }, cluster: { kubeconfig: cp.kubeconfig },
    };
    let status: HelmReleaseStatus | undefined;
    const engineUp = async () => {
      const plan = await planHelmRelease("bench", spec, status, ctx);
      if (plan.action !== "none" || !status) status = await applyHelmRelease("bench", spec, { ...status, helmChart: plan.helmChart }, ctx);
    };
    console.log(`HelmRelease of a chart of ${OBJECTS} objects (ConfigMaps, Services, Deployments); one run each`);
    const engineRow = (name: string, ours: number, base: number) =>
      console.log(`${name.padEnd(24)} engine    ${ours.toFixed(0).padStart(7)} ms   helm upgrade --install ${base.toFixed(0).padStart(7)} ms   ratio ${(ours / base).toFixed(2)}   (in-process plan + apply)`);
    engineRow("first install", await measure(engineUp), await measure(() => helm("bench-helm-2")));
    engineRow("nothing changed", await measure(engineUp), await measure(() => helm("bench-helm-2")));
    const prog = await pulumiProgram("bench-helm", PROGRAM, { config: { url: { value: charts.url }, kubeconfig: { value: cp.kubeconfig, secret: true } } });
    try {
      const row = (name: string, ours: number, base: number) =>
        console.log(`${name.padEnd(24)} pulumi up ${ours.toFixed(0).padStart(7)} ms   helm upgrade --install ${base.toFixed(0).padStart(7)} ms   ratio ${(ours / base).toFixed(2)}`);
      row("first install", await measure(() => prog.stack.up()), await measure(helm));
      row("nothing changed", await measure(() => prog.stack.up()), await measure(helm));
      const pv = await measure(() => prog.stack.preview());
      console.log(`pulumi preview (nothing changed) ${pv.toFixed(0)} ms`);
    } finally {
      await prog.cleanup();
    }
  } finally {
    await Promise.all([cp.stop(), charts.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(String((err as { stderr?: string }).stderr ?? err).slice(0, 2000));
  process.exit(1);
});
