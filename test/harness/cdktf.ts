// The real cdktf CLI for tests: a project directory inside the repository (so its app loads fluxiac by
// package name, as a user's app does), a scratch HOME (implied provider mirror ~/.terraform.d/plugins,
// cdktf's plugin cache), no telemetry and no CLI configuration of the machine.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { run, type RunResult } from "./proc";
import { REPO_ROOT } from "./pulumi";
import { toolsBin } from "./tools";

/** CDKTF_BIN is the cdktf CLI of the repository's dev dependencies. */
const CDKTF_BIN = join(REPO_ROOT, "node_modules", "cdktf-cli", "bundle", "bin", "cdktf");

/** CdktfProject is a cdktf project directory with its own HOME. */
export interface CdktfProject {
  dir: string;
  /** home is the HOME of every command: `${home}/.terraform.d/plugins` is Terraform's implied mirror. */
  home: string;
  /** pluginDir is that implied mirror. */
  pluginDir: string;
  /** env is the environment of every command, before the per-call extras. */
  env: NodeJS.ProcessEnv;
  /** log collects the output of every command, for failure messages. */
  log: string[];
  /** cdktf runs the cdktf CLI in the project directory. */
  cdktf(args: string[], extraEnv?: Record<string, string>): Promise<RunResult>;
  /** synthesized reads the Terraform JSON of a stack written by the last synth. */
  synthesized(stack: string): Promise<Record<string, unknown>>;
  /** stackDir is where cdktf runs terraform for a stack. */
  stackDir(stack: string): string;
  cleanup(): Promise<void>;
}

/** cdktfScratch is a fresh scratch directory inside the repository (`.work/cdktf/<name>-<rand>`) for one test file's projects. */
export function cdktfScratch(name: string): string {
  return join(REPO_ROOT, ".work", "cdktf", `${name}-${randomBytes(4).toString("hex")}`);
}

/**
 * cdktfProject creates `<root>/<name>` with the given files; `from` copies a directory of the repository
 * first (e.g. "examples/cdktf"). `env` is added to every command's environment. The root must be inside
 * the repository (see cdktfScratch), so that the app resolves fluxiac by package name.
 */
export async function cdktfProject(root: string, name: string, opts: { from?: string; files?: Record<string, string>; env?: Record<string, string> } = {}): Promise<CdktfProject> {
  const dir = join(root, name);
  const home = join(dir, ".home");
  await mkdir(home, { recursive: true });
  if (opts.from) await cp(join(REPO_ROOT, opts.from), dir, { recursive: true, filter: (src) => !/\/(build|cdktf\.out|node_modules)$/.test(src) });
  for (const [file, content] of Object.entries(opts.files ?? {})) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TF_CLI_CONFIG_FILE;
  for (const key of Object.keys(env)) if (key.startsWith("TF_VAR_") || key.startsWith("CDKTF_")) delete env[key];
  Object.assign(env, {
    HOME: home,
    PATH: `${dirname(process.execPath)}:${toolsBin()}:${process.env.PATH}`,
    CI: "1",
    CHECKPOINT_DISABLE: "1",
    DISABLE_VERSION_CHECK: "1",
    FORCE_COLOR: "0",
    FLUXIAC_CACHE_DIR: join(dir, ".cache"),
    ...opts.env,
  });
  const log: string[] = [];
  return {
    dir,
    home,
    pluginDir: join(home, ".terraform.d", "plugins"),
    env,
    log,
    async cdktf(args, extraEnv = {}) {
      const res = await run(process.execPath, [CDKTF_BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv } });
      log.push(`$ cdktf ${args.join(" ")} (exit ${res.code})\n${res.stdout}\n${res.stderr}`);
      return res;
    },
    synthesized: async (stack) => JSON.parse(await readFile(join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8")) as Record<string, unknown>,
    stackDir: (stack) => join(dir, "cdktf.out", "stacks", stack),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** output is a command's stdout and stderr together, for assertions on what the user sees. */
export function output(res: RunResult): string {
  return `${res.stdout}\n${res.stderr}`;
}
