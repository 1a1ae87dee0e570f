// Where the test bed's real binaries are: the tools.json written by scripts/tools.sh.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** toolsDir is the versioned tool cache that scripts/tools.sh fills. */
export function toolsDir(): string {
  return process.env.FLUXIAC_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "fluxiac", "tools");
}

let cached: Record<string, string> | undefined;

/** tool returns the absolute path of a test-bed binary, or fails loudly naming the fix. */
export function tool(name: string): string {
  if (!cached) {
    const file = join(toolsDir(), "tools.json");
    try {
      cached = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch (err) {
      throw new Error(`the test bed's tools are not installed (${file}: ${(err as Error).message}); run \`npm run tools\``);
    }
  }
  const path = cached[name];
  if (!path) throw new Error(`tool "${name}" is missing from ${join(toolsDir(), "tools.json")}; run \`npm run tools\``);
  return path;
}

/** toolsBin is the folder of links to every test-bed binary, to put first on PATH. */
export function toolsBin(): string {
  return join(toolsDir(), "bin");
}
