// The content-addressed artifact store: `<dir>/sha256/<hex>.tar.gz`, written atomically.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat, readdir, utimes, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseDigest, sha256Digest } from "./digest";
import { pack, type PackOptions, type PackResult } from "./archive";

/** defaultStoreDir is $FLUXIAC_CACHE_DIR/artifacts (default ~/.cache/fluxiac/artifacts). */
export function defaultStoreDir(): string {
  const cache = process.env.FLUXIAC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "fluxiac");
  return join(cache, "artifacts");
}

/** ArtifactStore keeps artifacts by digest. Nothing is ever written outside its directory. */
export class ArtifactStore {
  constructor(readonly dir: string = defaultStoreDir()) {}

  /** path is where the artifact with this digest lives (whether or not it exists). */
  path(digest: string): string {
    const { algo, hex } = parseDigest(digest);
    return join(this.dir, algo, `${hex}.tar.gz`);
  }

  /** has reports whether the store holds this digest, and marks it recently used. */
  async has(digest: string): Promise<boolean> {
    const p = this.path(digest);
    try {
      await stat(p);
      const now = new Date();
      await utimes(p, now, now).catch(() => {});
      return true;
    } catch {
      return false;
    }
  }

  /**
   * write lets `produce` fill a temp file inside the store and report its digest, then renames it to
   * its content address. The temp file is always removed; nothing is written outside the store.
   */
  private async write(produce: (tmp: string) => Promise<PackResult>): Promise<PackResult> {
    const tmpDir = join(this.dir, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomBytes(8).toString("hex")}.tar.gz`);
    try {
      const result = await produce(tmp);
      const dest = this.path(result.digest);
      await mkdir(join(dest, ".."), { recursive: true });
      await rename(tmp, dest);
      return result;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** packDir archives a source tree into the store, atomically, and returns its digest and size. */
  packDir(root: string, opts: PackOptions = {}): Promise<PackResult> {
    return this.write((tmp) => pack(root, tmp, opts));
  }

  /**
   * putFile copies a file (a chart .tgz, an OCI layer blob) into the store under the sha256 of its
   * bytes, atomically, and returns its digest and size.
   */
  putFile(file: string): Promise<PackResult> {
    return this.write(async (tmp) => {
      await copyFile(file, tmp);
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(tmp)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return { digest: `sha256:${hash.digest("hex")}`, size };
    });
  }

  /** putBuffer stores bytes under their sha256, atomically, and returns the digest and size. */
  async putBuffer(data: Buffer): Promise<PackResult> {
    const digest = sha256Digest(data);
    if (await this.has(digest)) return { digest, size: data.length };
    return this.write(async (tmp) => {
      await writeFile(tmp, data);
      return { digest, size: data.length };
    });
  }

  /** gc removes artifacts not used for maxAgeMs (default 7 days), except those in keep. */
  async gc(keep: Set<string> = new Set(), maxAgeMs = 7 * 24 * 3600 * 1000): Promise<number> {
    const dir = join(this.dir, "sha256");
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const digest = `sha256:${name.replace(/\.tar\.gz$/, "")}`;
      if (keep.has(digest)) continue;
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await rm(join(dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
