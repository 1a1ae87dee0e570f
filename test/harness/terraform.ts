// Real Terraform for tests: fluxiac's provider installed into a scratch filesystem mirror, a CLI config
// that points at it, and a scratch HOME and TF_DATA_DIR, so nothing outside the scratch dir is touched.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { installProvider, type InstalledProvider } from "../../src/terraform/install";
import { run, type RunResult } from "./proc";
import { tool, toolsBin } from "./tools";

/** TerraformWorkspace is one Terraform working directory with fluxiac's provider available. */
export interface TerraformWorkspace {
  /** The working directory, holding main.tf.json. */
  dir: string;
  provider: InstalledProvider;
  env: NodeJS.ProcessEnv;
  /** Output of every terraform command so far, for failure messages. */
  log: string[];
  /** writeConfig writes main.tf.json (Terraform JSON configuration). */
  writeConfig(config: object): Promise<void>;
  /** terraform runs `terraform <args>` in dir and resolves with its result, whatever the exit code. */
  terraform(...args: string[]): Promise<RunResult>;
  /** must runs terraform and rejects on a non-zero exit with its output. */
  must(...args: string[]): Promise<string>;
  /** planJson runs `terraform plan -out` and returns `terraform show -json` of that plan. */
  planJson(...args: string[]): Promise<TerraformPlan>;
  /** stateJson returns `terraform show -json` of the state. */
  stateJson(): Promise<{ values?: { root_module?: { resources?: { address: string; values: Record<string, unknown> }[] } } }>;
}

/** TerraformPlan is the part of `terraform show -json <plan>` the tests read. */
export interface TerraformPlan {
  resource_changes?: { address: string; change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null; after_unknown: Record<string, unknown> } }[];
  resource_drift?: { address: string; change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null } }[];
}

/** terraformWorkspace installs the provider under `scratch` and prepares a working directory there. */
export async function terraformWorkspace(scratch: string, opts: { env?: Record<string, string> } = {}): Promise<TerraformWorkspace> {
  const mirror = join(scratch, "mirror");
  const dir = join(scratch, "work");
  const home = join(scratch, "home");
  await Promise.all([mkdir(dir, { recursive: true }), mkdir(home, { recursive: true })]);
  const provider = await installProvider({ dir: mirror });
  const cliConfig = join(scratch, "terraformrc");
  await writeFile(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: `${toolsBin()}:${process.env.PATH}`,
    HOME: home,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_DATA_DIR: join(dir, ".terraform"),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    FLUXIAC_CACHE_DIR: join(scratch, "cache"),
    ...opts.env,
  };
  const log: string[] = [];
  const terraform = async (...args: string[]) => {
    const r = await run(tool("terraform"), args, { cwd: dir, env });
    log.push(`$ terraform ${args.join(" ")} (exit ${r.code})\n${r.stdout}${r.stderr}`);
    return r;
  };
  const must = async (...args: string[]) => {
    const r = await terraform(...args);
    if (r.code !== 0) throw new Error(`terraform ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    provider,
    env,
    log,
    writeConfig: (config) => writeFile(join(dir, "main.tf.json"), JSON.stringify(config, null, 2)),
    terraform,
    must,
    async planJson(...args) {
      await must("plan", "-input=false", "-no-color", "-out=tfplan", ...args);
      return JSON.parse(await must("show", "-json", "tfplan")) as TerraformPlan;
    },
    async stateJson() {
      return JSON.parse(await must("show", "-json"));
    },
  };
}
