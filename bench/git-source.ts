// Benchmark: GitRepository costs against their plain-git / tar baselines, from one run.
//   npm run bench:git
// 1. A preview of an unchanged GitRepository (one ls-remote) against a full `git clone`, over HTTP.
// 2. Artifact packing throughput against `tar czf` on the same tree.
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { ArtifactStore } from "../src/core/artifact/store";
import { silentLogger } from "../src/core/log";
import { planGitRepository } from "../src/core/reconcile/git-repository";
import { startGitServer } from "../test/harness/git-server";

const run = promisify(execFile);
const FILES = Number(process.env.BENCH_FILES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(await time(fn));
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function main(): Promise<void> {
  const git = await startGitServer();
  const work = await mkdtemp(join(tmpdir(), "fluxiac-bench-"));
  try {
    // A repository of FILES manifests (~4 KiB each, half of them incompressible).
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) {
      const body = i % 2 ? randomBytes(1536).toString("base64") : "x".repeat(4096);
      files[`apps/app-${Math.floor(i / 100)}/cm-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${body}"\n`;
    }
    const repo = await git.createRepo("bench");
    await repo.commit(files);
    const spec = { url: repo.httpUrl, ref: { branch: "main" }, auth: { username: git.httpUser, password: git.httpPassword } };
    const store = new ArtifactStore(join(work, "store"));
    const ctx = { store, log: silentLogger };
    const first = await planGitRepository("bench", spec, undefined, ctx);
    const previous = { artifact: first.artifact, observedUrl: spec.url };

    const preview = await median(() => planGitRepository("bench", spec, previous, ctx));
    const authUrl = repo.httpUrl.replace("://", `://${git.httpUser}:${git.httpPassword}@`);
    let n = 0;
    const clone = await median(() => run("git", ["clone", "--quiet", authUrl, join(work, `clone-${n++}`)]));
    const fetch = await median(() => planGitRepository("bench", spec, undefined, ctx));

    // Packing throughput on the same checked-out tree.
    const tree = join(work, "clone-0");
    await rm(join(tree, ".git"), { recursive: true, force: true });
    const { stdout } = await run("du", ["-sb", tree]);
    const bytes = Number(stdout.split("\t")[0]);
    const packMs = await median(() => store.packDir(tree));
    const tarMs = await median(() => run("tar", ["czf", join(work, "baseline.tar.gz"), "-C", tree, "."]));
    const mb = bytes / 1e6;

    const row = (name: string, ours: number, base: number, baseName: string) =>
      console.log(`${name.padEnd(44)} ${ours.toFixed(1).padStart(9)} ms   ${baseName.padEnd(22)} ${base.toFixed(1).padStart(9)} ms   ratio ${(ours / base).toFixed(2)}`);
    console.log(`repository: ${FILES} files, ${mb.toFixed(1)} MB; artifact ${first.artifact.size} bytes; median of ${ROUNDS} rounds`);
    row("preview of an unchanged GitRepository", preview, clone, "git clone (full)");
    row("GitRepository fetch + pack (changed)", fetch, clone, "git clone (full)");
    row("pack artifact", packMs, tarMs, "tar czf");
    console.log(`${"pack throughput".padEnd(44)} ${(mb / (packMs / 1000)).toFixed(1).padStart(9)} MB/s ${"tar czf".padEnd(22)} ${(mb / (tarMs / 1000)).toFixed(1).padStart(9)} MB/s`);
    await stat(store.path(first.artifact.digest));
  } finally {
    await git.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
