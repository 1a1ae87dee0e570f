// Deterministic tar.gz archives of source trees, and safe extraction (Flux's pkg/artifact/storage/archive.go).
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, readFile } from "node:fs/promises";
import { dirname, join, posix, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import * as tar from "tar-stream";
import { ignoreRules, type IgnoreRules } from "./ignore";

const SMALL_FILE = 1 << 20;

/** PackResult describes the written archive. */
export interface PackResult {
  digest: string;
  size: number;
}

/** collectSourceIgnores reads every .sourceignore below root, with its directory relative to root. */
export async function collectSourceIgnores(root: string): Promise<{ dir: string; content: string }[]> {
  const found: { dir: string; content: string }[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && e.name !== ".git") await walk(childRel);
      else if (e.isFile() && e.name === ".sourceignore") found.push({ dir: rel, content: await readFile(join(root, childRel), "utf8") });
    }
  };
  await walk("");
  return found;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** listTree returns the files and directories of root that survive the rules, in archive order. */
export async function listTree(root: string, rules: IgnoreRules): Promise<{ rel: string; dir: boolean; mode: number; size: number }[]> {
  const out: { rel: string; dir: boolean; mode: number; size: number }[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort(cmp);
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, childRel));
      if (st.isDirectory()) {
        if (rules.ignored(`${childRel}/`)) continue;
        out.push({ rel: childRel, dir: true, mode: 0o750, size: 0 });
        await walk(childRel);
      } else if (st.isFile()) {
        if (rules.ignored(childRel)) continue;
        out.push({ rel: childRel, dir: false, mode: st.mode & 0o111 ? 0o700 : 0o600, size: st.size });
      }
      // Symlinks and other non-regular files never enter an artifact.
    }
  };
  await walk("");
  return out;
}

/** PackOptions select what enters an archive. */
export interface PackOptions {
  /** Extra .sourceignore patterns (a source's `ignore` field). */
  ignore?: string;
  /**
   * rules replace the tree's .sourceignore files, Flux's defaults and `ignore`, for sources that filter
   * before writing the tree (a Bucket filters its keys, and Flux archives the result unfiltered).
   */
  rules?: IgnoreRules;
}

/**
 * pack writes a deterministic tar.gz of root to `dest`: sorted entries, zeroed times and owners,
 * Flux's modes, no symlinks. The digest is the sha256 of the compressed bytes.
 */
export async function pack(root: string, dest: string, opts: PackOptions = {}): Promise<PackResult> {
  const rules = opts.rules ?? ignoreRules(await collectSourceIgnores(root), opts.ignore);
  const entries = await listTree(root, rules);
  const archive = tar.pack();
  const hash = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const writing = pipeline(archive, createGzip({ level: 6 }), meter, createWriteStream(dest));
  const header = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  for (const e of entries) {
    if (e.dir) {
      archive.entry({ ...header, name: `${e.rel}/`, type: "directory", mode: e.mode });
    } else if (e.size <= SMALL_FILE) {
      // Small files (nearly every manifest) go in as one buffer: no stream per file.
      await new Promise<void>((res, rej) => {
        readFile(join(root, e.rel)).then((buf) => {
          archive.entry({ ...header, name: e.rel, type: "file", mode: e.mode, size: buf.length }, buf, (err) => (err ? rej(err) : res()));
        }, rej);
      });
    } else {
      await new Promise<void>((res, rej) => {
        const sink = archive.entry({ ...header, name: e.rel, type: "file", mode: e.mode, size: e.size }, (err) => (err ? rej(err) : res()));
        createReadStream(join(root, e.rel)).on("error", rej).pipe(sink);
      });
    }
  }
  archive.finalize();
  await writing;
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

/** UnsafeArchiveError reports an entry that would escape the extraction root. */
export class UnsafeArchiveError extends Error {}

/** safeEntryPath resolves an archive entry name under root, or throws for absolute paths, `..` and links. */
export function safeEntryPath(root: string, name: string, type: string | null | undefined): string {
  if (type === "symlink" || type === "link") throw new UnsafeArchiveError(`archive entry "${name}" is a link; links are not allowed in artifacts`);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) throw new UnsafeArchiveError(`archive entry "${name}" has an absolute path`);
  const normalized = posix.normalize(name);
  if (normalized === ".." || normalized.startsWith("../") || normalized.split("/").includes("..")) {
    throw new UnsafeArchiveError(`archive entry "${name}" escapes the artifact root`);
  }
  const target = resolve(root, normalized);
  const base = resolve(root);
  if (target !== base && !target.startsWith(base + sep)) throw new UnsafeArchiveError(`archive entry "${name}" escapes the artifact root`);
  return target;
}

/** extract unpacks a tar.gz into root, rejecting entries that escape it. */
export async function extract(archivePath: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const ex = tar.extract();
  ex.on("entry", (h, stream, next) => {
    stream.on("error", () => {}); // the extractor reports the failure
    const done = (err?: unknown) => (err ? ex.destroy(err as Error) : next());
    let target: string;
    try {
      target = safeEntryPath(root, h.name, h.type);
    } catch (err) {
      return done(err);
    }
    if (h.type === "directory") {
      stream.resume();
      mkdir(target, { recursive: true }).then(() => done(), done);
    } else if (h.type === "file" || h.type === "contiguous-file") {
      mkdir(dirname(target), { recursive: true })
        .then(() => pipeline(stream, createWriteStream(target, { mode: (h.mode ?? 0o600) & 0o755 })))
        .then(() => done(), done);
    } else {
      stream.resume();
      done();
    }
  });
  await pipeline(createReadStream(archivePath), createGunzip(), ex);
}
