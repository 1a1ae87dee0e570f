// SOPS decryption of secretGenerator sources before the build (kustomize-controller DecryptSources): the
// files and env files a secretGenerator reads are decrypted in place, in the build's temporary copy.
import { readFile, realpath, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { parse } from "yaml";
import { objects, strings } from "./confine";
import { formatForPath, isSopsEncrypted, sopsDecrypt, type SopsFormat } from "./decrypt";
import { findKustomizationFile } from "./generator";
import type { Keyring } from "./keyring";

/**
 * decryptSources walks the kustomization in dir and the local bases and components it reaches (inside
 * root only), and decrypts every sops-encrypted file or env file of their secretGenerators with keys.
 * Env files default to dotenv, as in Flux. Files that are not encrypted are left as they are.
 */
export async function decryptSources(root: string, dir: string, keys: Keyring): Promise<void> {
  const realRoot = await realpath(root);
  const inside = (p: string): boolean => p === realRoot || p.startsWith(realRoot + sep);
  const seen = new Set<string>();
  const decryptFile = async (path: string, format: SopsFormat, display: string): Promise<void> => {
    const real = await realpath(path).catch(() => undefined);
    if (!real || !inside(real) || seen.has(real)) return;
    seen.add(real);
    const text = await readFile(real, "utf8");
    if (isSopsEncrypted(text, format)) await writeFile(real, await sopsDecrypt(text, format, keys, `secretGenerator source "${display}"`));
  };
  const visit = async (kdir: string): Promise<void> => {
    if (seen.has(kdir)) return;
    seen.add(kdir);
    const name = await findKustomizationFile(kdir);
    if (!name) return;
    const k = (parse(await readFile(join(kdir, name), "utf8")) as Record<string, unknown> | null) ?? {};
    for (const g of objects(k.secretGenerator)) {
      for (const f of strings(g.files)) {
        const i = f.indexOf("=");
        const [key, path] = i >= 0 ? [f.slice(0, i), f.slice(i + 1)] : [f, f];
        await decryptFile(resolve(kdir, path), formatForPath(key), path);
      }
      for (const env of [...strings(g.envs), ...(typeof g.env === "string" ? [g.env] : [])]) {
        const format = formatForPath(env);
        await decryptFile(resolve(kdir, env), format === "binary" ? "dotenv" : format, env);
      }
    }
    for (const ref of [...strings(k.resources), ...strings(k.bases), ...strings(k.components)]) {
      const real = await realpath(resolve(kdir, ref)).catch(() => undefined);
      if (real && inside(real) && (await stat(real)).isDirectory()) await visit(real);
    }
  };
  await visit(await realpath(dir));
}
