// installProvider: places terraform-provider-fluxiac in a local provider mirror, so `terraform init`
// finds fluxiac/fluxiac with no registry. The executable is a shell wrapper that execs this Node on the
// installed package's plugin entry point.
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, relative, sep } from "node:path";

/** PROVIDER_HOST, PROVIDER_NAMESPACE and PROVIDER_TYPE make the source address registry.terraform.io/fluxiac/fluxiac. */
export const PROVIDER_HOST = "registry.terraform.io";
export const PROVIDER_NAMESPACE = "fluxiac";
export const PROVIDER_TYPE = "fluxiac";

/** InstallOptions tune installProvider. */
export interface InstallOptions {
  /** The mirror directory. @default ~/.terraform.d/plugins (one of Terraform's implied mirrors) */
  dir?: string;
  /** The Node executable the wrapper runs. @default the Node running the install */
  node?: string;
}

/** InstalledProvider is where the provider went, its version and its `h1:` lock-file hash. */
export interface InstalledProvider {
  path: string;
  version: string;
  hash: string;
}

/** providerVersion is the package's version, which is the provider's. */
export function providerVersion(): string {
  return (require("../../../package.json") as { version: string }).version;
}

/** platform is Terraform's name of this OS and architecture, e.g. linux_amd64. */
export function platform(): string {
  const arch = ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** installProvider writes the wrapper into `<dir>/registry.terraform.io/fluxiac/fluxiac/<version>/<os_arch>/`. */
export async function installProvider(opts: InstallOptions = {}): Promise<InstalledProvider> {
  const version = providerVersion();
  const dir = join(opts.dir ?? join(homedir(), ".terraform.d", "plugins"), PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE, version, platform());
  await mkdir(dir, { recursive: true });
  const path = join(dir, `terraform-provider-${PROVIDER_TYPE}_v${version}`);
  // exec, so Terraform's kill reaches Node itself and no orphan keeps its pipes open.
  const script = `#!/bin/sh\nexec ${shellQuote(opts.node ?? process.execPath)} ${shellQuote(join(__dirname, "main.js"))} "$@"\n`;
  await writeFile(path, script, { mode: 0o755 });
  await chmod(path, 0o755);
  return { path, version, hash: await packageHash(dir) };
}

/**
 * packageHash is Terraform's `h1:` hash of an unpacked provider directory (Go's dirhash Hash1): one line
 * `<sha256 hex>  <relative path>\n` per file, sorted by path, then base64 of the sha256 of those lines.
 */
export async function packageHash(dir: string): Promise<string> {
  const files = (await listFiles(dir)).map((f) => relative(dir, f).split(sep).join("/")).sort();
  const lines = await Promise.all(files.map(async (f) => `${createHash("sha256").update(await readFile(join(dir, f))).digest("hex")}  ${f}\n`));
  return `h1:${createHash("sha256").update(lines.join("")).digest("base64")}`;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat();
}
