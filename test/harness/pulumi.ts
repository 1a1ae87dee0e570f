// The real Pulumi engine for tests: a program directory inside the repository (so it loads fluxiac by
// package name, as a user's program does), a local file backend and the Automation API.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack, type ConfigMap } from "@pulumi/pulumi/automation";
import { tool, toolsBin } from "./tools";

/** REPO_ROOT is the fluxiac checkout the tests run from. */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** PulumiProgram is a stack of a test program, driven through the Automation API. */
export interface PulumiProgram {
  dir: string;
  stack: Stack;
  /** Output of every engine operation so far, for failure messages. */
  log: string[];
  setConfig(config: ConfigMap): Promise<void>;
  /** rawState is the stack's checkpoint file as the file backend wrote it (secrets encrypted). */
  rawState(): Promise<string>;
  cleanup(): Promise<void>;
}

/** pulumiEnv is the environment for the engine, the program and its providers. */
export function pulumiEnv(stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${toolsBin()}:${dirname(tool("pulumi"))}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "fluxiac-test",
    PULUMI_HOME: join(stateDir, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    FLUXIAC_CACHE_DIR: join(stateDir, "cache"),
    ...extra,
  };
}

/**
 * pulumiProgram writes a JavaScript Pulumi program (index.js) into `.work/pulumi/<name>-<rand>` and
 * selects stack "test" with a file backend in that directory.
 */
export async function pulumiProgram(name: string, source: string, opts: { config?: ConfigMap; env?: Record<string, string> } = {}): Promise<PulumiProgram> {
  const dir = join(REPO_ROOT, ".work", "pulumi", `${name}-${randomBytes(4).toString("hex")}`);
  const stateDir = join(dir, ".state");
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`);
  await writeFile(join(dir, "index.js"), source);
  const envVars = pulumiEnv(stateDir, opts.env);
  const pulumiCommand = await PulumiCommand.get({ root: dirname(dirname(tool("pulumi"))) });
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: "test", workDir: dir }, { pulumiCommand, envVars });
  if (opts.config) await stack.setAllConfig(opts.config);
  const log: string[] = [];
  return {
    dir,
    stack,
    log,
    setConfig: (config) => stack.setAllConfig(config),
    rawState: async () => {
      const stacks = join(stateDir, ".pulumi", "stacks", name);
      const files = (await readdir(stacks)).filter((f) => /^test\.json(\.gz)?$/.test(f));
      if (files.length !== 1) throw new Error(`expected one checkpoint in ${stacks}, found ${files.join(", ") || "none"}`);
      const raw = await readFile(join(stacks, files[0]));
      return (files[0].endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
    },
    cleanup: async () => {
      await stack.destroy({ onOutput: (o) => log.push(o) }).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
