// What a benchmark row measures besides wall time: CPU time of this process and of the processes it
// started and reaped (the Pulumi CLI, its providers and their helm children count there), processes
// started through a counting wrapper, and the API server's requests from its own metrics.
import { execFile } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import type * as k8s from "@kubernetes/client-node";

const run = promisify(execFile);

/** Sample is one measurement. */
export interface Sample {
  wallMs: number;
  /** CPU time (user + system) of this process and its reaped descendants. */
  cpuMs: number;
  /** Processes started through the counting wrapper, by first argument (`template`, `history`…). */
  processes: Record<string, number>;
  /** API server requests (all clients) of the benchmark's resource kinds, by verb; dry-runs apart. */
  requests: Record<string, number>;
}

/** childCpuMs reads the CPU time of this process's reaped children (Linux /proc, cutime + cstime). */
async function childCpuMs(): Promise<number> {
  const fields = (await readFile("/proc/self/stat", "utf8")).split(") ")[1].split(" ");
  // Fields after the command: state is index 0, so cutime (field 16) and cstime (17) are 13 and 14.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/** cpuMs is the CPU time of this process and its reaped children so far. */
async function cpuMs(): Promise<number> {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000 + (await childCpuMs());
}

/** countingWrapper writes a script that logs its first argument to logFile and runs binary. */
export async function countingWrapper(path: string, binary: string, logFile: string): Promise<string> {
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${logFile}'\nexec '${binary}' "$@"\n`);
  await chmod(path, 0o755);
  await writeFile(logFile, "");
  return path;
}

const KINDS = new Set(["configmaps", "services", "deployments", "secrets", "namespaces"]);

/** apiRequests sums apiserver_request_total of the benchmark's kinds (no subresources), by verb. */
async function apiRequests(kubectl: string, kubeconfig: string): Promise<Record<string, number>> {
  const { stdout } = await run(kubectl, ["get", "--raw", "/metrics", "--kubeconfig", kubeconfig], { maxBuffer: 256 << 20 });
  const out: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!KINDS.has(labels.resource) || labels.subresource || labels.verb === "WATCH") continue;
    const verb = `${labels.verb}${labels.dry_run ? " dry-run" : ""}`;
    out[verb] = (out[verb] ?? 0) + Number(line.split(" ").pop());
  }
  return out;
}

/** minus subtracts counts taken before from counts taken after, keeping what grew. */
function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

/** Meter measures operations against one cluster, counting the processes a wrapper logs. */
export class Meter {
  constructor(private readonly kubectl: string, private readonly kubeconfig: string, private readonly processLog?: string) {}

  private async processCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    if (!this.processLog) return counts;
    for (const verb of (await readFile(this.processLog, "utf8")).split("\n").filter(Boolean)) counts[verb] = (counts[verb] ?? 0) + 1;
    return counts;
  }

  /** measure runs fn once and returns what it cost. */
  async measure(fn: () => Promise<unknown>): Promise<Sample> {
    const [requests0, processes0] = [await apiRequests(this.kubectl, this.kubeconfig), await this.processCounts()];
    const cpu0 = await cpuMs();
    const t = process.hrtime.bigint();
    await fn();
    const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
    const cpu = (await cpuMs()) - cpu0;
    const [requests1, processes1] = [await apiRequests(this.kubectl, this.kubeconfig), await this.processCounts()];
    return { wallMs, cpuMs: cpu, processes: minus(processes1, processes0), requests: minus(requests1, requests0) };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** summary is the median wall and CPU time of samples, with the counts of the median-wall sample. */
export function summary(samples: Sample[]): { wall: number; cpu: number; counts: string } {
  const wall = median(samples.map((s) => s.wallMs));
  const mid = samples.find((s) => s.wallMs === wall)!;
  const fmt = (r: Record<string, number>) => Object.entries(r).sort().map(([k, v]) => `${k} ${v}`).join(", ");
  const procs = Object.values(mid.processes).reduce((a, b) => a + b, 0);
  const counts = [procs ? `helm ×${procs} (${fmt(mid.processes)})` : "", `API ${fmt(mid.requests) || "none"}`].filter(Boolean).join("; ");
  return { wall, cpu: median(samples.map((s) => s.cpuMs)), counts };
}

/**
 * settleDeployments waits until the deployment controller has caught up with every Deployment (it creates
 * ReplicaSets and Pods after each apply), then pauses, so no figure pays for the previous one's aftermath.
 */
export async function settleDeployments(apps: k8s.AppsV1Api, pauseMs: number): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const { items } = await apps.listDeploymentForAllNamespaces();
    if (items.every((d) => d.status?.observedGeneration === d.metadata?.generation)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, pauseMs));
}
