// `fluxiac diff kustomization <name> --path <dir>`: flux diff kustomization, staged. It builds the local
// directory as a Kustomization would, plans it against the cluster (server-side dry-run), and prints
// what an apply would create, change and prune. Exit codes as Flux's: 0 no change, 1 changes, 2 error.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { ArtifactStore } from "../core/artifact/store";
import { buildKustomization, type KubeObject } from "../core/build/kustomize";
import { errorMessage, FluxiacError } from "../core/errors";
import { connect, type ClusterConnection } from "../core/kube/client";
import { entryToObject } from "../core/kube/inventory";
import { ownedInventory } from "../core/kube/owned";
import { objectKey } from "../core/kube/ssa/sort";
import type { Logger } from "../core/log";
import { hasChanges, planBuiltKustomization, type KustomizationPlan } from "../core/reconcile/kustomization";
import { renderDrift } from "./drift";
import type { CliOutput } from "./output";

/** DiffKustomizationFlags are the command's options, as commander parses them. */
interface DiffKustomizationFlags {
  path: string;
  sourceRoot?: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  prune?: boolean;
  force?: boolean;
}

/** EXIT_CHANGES and EXIT_ERROR are flux diff's exit codes (0 means no change). */
export const EXIT_CHANGES = 1;
export const EXIT_ERROR = 2;

/** formatPlan renders a plan in flux diff's style: one `► <Kind/ns/name> <action>` line per change, drift diffs below. */
export function formatPlan(plan: KustomizationPlan): string[] {
  const lines: string[] = [];
  for (const d of plan.diffs) {
    if (d.action === "created") lines.push(`► ${d.subject} created`);
    else if (d.action === "configured") {
      lines.push(`► ${d.subject} drifted`);
      if (d.recreate) lines.push("  an immutable field changed: the object is deleted and created again (force)");
      else if (d.live && d.dryRun) lines.push(...renderDrift(d.live, d.dryRun).map((l) => `  ${l}`));
    }
  }
  // Pruned objects left the new inventory; their id alone names them.
  for (const id of plan.changes.prune) lines.push(`► ${objectKey(entryToObject({ id, v: "" }))} deleted`);
  return lines;
}

const isDirectory = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** gitTopLevel is the closest directory at or above dir that holds `.git`, else dir itself. */
async function gitTopLevel(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if (await stat(join(d, ".git")).then(() => true, () => false)) return d;
    if (dirname(d) === d) return dir;
  }
}

/**
 * buildLocal builds a local directory as a Kustomization would: the source root (the Git work tree, or
 * --source-root) is packed like a source artifact, so overlays may reach `../base`; then the path is
 * generated and kustomize-built inside a copy, never in the user's directory.
 */
async function buildLocal(name: string, dir: string, root: string | undefined, scratch: string): Promise<{ objects: KubeObject[]; revision: string }> {
  const object = { kind: "Kustomization", name };
  if (!(await isDirectory(dir))) throw new FluxiacError(object, "ValidationFailed", `--path "${dir}" is not a directory: point it at the Kustomization's directory`);
  const sourceRoot = root ?? (await gitTopLevel(dir));
  const path = relative(sourceRoot, dir) || "./";
  if (path.startsWith("..") || isAbsolute(path)) throw new FluxiacError(object, "ValidationFailed", `--path "${dir}" is outside --source-root "${sourceRoot}": use a path inside it`);
  const store = new ArtifactStore(scratch);
  const { digest } = await store.packDir(sourceRoot);
  const revision = `local@${digest}`;
  const { objects } = await buildKustomization(store.path(digest), revision, path, object);
  return { objects, revision };
}

/** diffKustomization builds, plans and prints; it returns the exit code. */
export async function diffKustomization(name: string, flags: DiffKustomizationFlags, out: CliOutput): Promise<number> {
  const cluster: ClusterConnection = { kubeconfig: flags.kubeconfig ? await readFile(flags.kubeconfig, "utf8") : undefined, context: flags.context };
  const scratch = await mkdtemp(join(tmpdir(), "fluxiac-diff-"));
  try {
    out.step(`building Kustomization "${name}" from ${flags.path}`);
    const { objects, revision } = await buildLocal(name, resolve(flags.path), flags.sourceRoot ? resolve(flags.sourceRoot) : undefined, scratch);
    const owner = { name, namespace: flags.namespace };
    let previous;
    if (flags.prune) {
      out.step(`reading the objects labelled by Kustomization ${flags.namespace}/${name} from the cluster`);
      let conn;
      try {
        conn = connect(cluster);
      } catch (err) {
        throw new FluxiacError({ kind: "Kustomization", name }, "ValidationFailed", errorMessage(err));
      }
      previous = {
        inventory: await ownedInventory(conn, owner).catch((err: unknown) => {
          throw new FluxiacError({ kind: "Kustomization", name }, "ClusterUnavailable", `listing the objects it labelled failed (${errorMessage(err).split("\n")[0]}); check --kubeconfig and that the API server is running`);
        }),
      };
    }
    out.step(`comparing ${objects.length} objects with the cluster (server-side dry-run, staged)`);
    const log: Logger = { info: (m) => out.step(m), warn: (m) => out.failure(m), debug: () => {} };
    const plan = await planBuiltKustomization(name, { prune: !!flags.prune, force: flags.force, namespace: flags.namespace, cluster }, objects, revision, previous, {
      store: new ArtifactStore(scratch),
      log,
    });
    for (const line of formatPlan(plan)) out.result(line);
    if (!hasChanges(plan.changes)) {
      out.success("no changes");
      return 0;
    }
    return EXIT_CHANGES;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** registerDiffCommands adds `diff kustomization` to the program. */
export function registerDiffCommands(program: Command, out: CliOutput): void {
  const diff = program.command("diff").description("Compare local manifests with the cluster");
  diff
    .command("kustomization")
    .alias("ks")
    .description("Build a local directory as a Kustomization and show what applying it would change (flux diff kustomization, staged)")
    .argument("<name>", "Kustomization name (the ownership label kustomize.toolkit.fluxcd.io/name)")
    .requiredOption("--path <dir>", "local directory to build, as the Kustomization's spec.path")
    .option("--source-root <dir>", "directory that stands for the source artifact (default: the Git work tree of --path, else --path)")
    .option("--kubeconfig <file>", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use instead of the current one")
    .option("-n, --namespace <namespace>", "the Kustomization's namespace (the ownership label kustomize.toolkit.fluxcd.io/namespace)", "flux-system")
    .option("--prune", "also list the objects labelled by this Kustomization that left the build (they would be pruned)")
    .option("--force", "plan objects whose immutable fields changed as recreated (spec.force) instead of failing")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_ERROR))
    .action(async (name: string, flags: DiffKustomizationFlags) => {
      process.exitCode = await diffKustomization(name, flags, out).catch((err: unknown) => {
        out.failure(errorMessage(err));
        return EXIT_ERROR;
      });
    });
}
