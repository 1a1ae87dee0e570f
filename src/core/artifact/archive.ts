// Deterministic tar.gz archives of source trees, and safe extraction (Flux's pkg/artifact/storage/archive.go).
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, posix, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { Transform } from "node:stream";
import pLimit from "p-limit";
import * as tar from "tar-stream";
import { sha256Meter } from "./digest";
import { ignoreRules, type IgnoreRules } from "./ignore";

const SMALL_FILE = 1 << 20;

/** PackResult describes the written archive. */
export interface PackResult {
  digest: string;
  size: number;
}

/** SourceIgnoreFile is a .sourceignore found in a tree, with its directory relative to the root. */
export interface SourceIgnoreFile {
  dir: string;
  content: string;
}

/** TreeEntry is a directory or regular file of a source tree, relative to its root. */
interface TreeEntry {
  rel: string;
  dir: boolean;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * walkTree lists the directories and regular files below root in archive order (sorted by name, a
 * directory before its contents) and reads every .sourceignore on the way, in one pass. Symlinks and
 * other non-regular files never enter an artifact. Directories for which `skip` is true are listed but
 * not descended: by default `.git` (always excluded by the ignore rules, and the largest part of a checkout).
 */
async function walkTree(root: string, skip: (rel: string, name: string) => boolean = (_rel, name) => name === ".git"): Promise<{ entries: TreeEntry[]; ignores: SourceIgnoreFile[] }> {
  const entries: TreeEntry[] = [];
  const ignores: SourceIgnoreFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    const dirents = (await readdir(rel ? join(root, rel) : root, { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name));
    for (const e of dirents) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        entries.push({ rel: childRel, dir: true });
        if (!skip(childRel, e.name)) await walk(childRel);
      } else if (e.isFile()) {
        entries.push({ rel: childRel, dir: false });
        if (e.name === ".sourceignore") ignores.push({ dir: rel, content: await readFile(join(root, childRel), "utf8") });
      }
    }
  };
  await walk("");
  return { entries, ignores };
}

/** collectSourceIgnores reads every .sourceignore below root, with its directory relative to root. */
export async function collectSourceIgnores(root: string): Promise<SourceIgnoreFile[]> {
  return (await walkTree(root)).ignores;
}

/** filterTree drops ignored entries; an ignored directory drops everything below it. */
function filterTree(entries: TreeEntry[], rules: IgnoreRules): TreeEntry[] {
  const kept: TreeEntry[] = [];
  let skipped: string | undefined;
  for (const e of entries) {
    if (skipped !== undefined && e.rel.startsWith(skipped)) continue;
    skipped = undefined;
    if (e.dir ? rules.ignored(`${e.rel}/`) : rules.ignored(e.rel)) {
      if (e.dir) skipped = `${e.rel}/`;
      continue;
    }
    kept.push(e);
  }
  return kept;
}

/** LoadedEntry is a file's mode and size, and its bytes when it is small enough to hold in memory. */
interface LoadedEntry {
  mode: number;
  size: number;
  data?: Buffer;
}

/**
 * loadFile opens a file once: fstat for Flux's mode and the size, then the bytes of a small file. It is
 * synchronous on purpose: small reads from the page cache take microseconds, while a round trip through
 * libuv's thread pool costs more and competes with the gzip stream for the same threads.
 */
function loadFile(path: string): LoadedEntry {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    const mode = st.mode & 0o111 ? 0o700 : 0o600;
    if (st.size > SMALL_FILE) return { mode, size: st.size };
    const data = readFileSync(fd);
    return { mode, size: data.length, data };
  } finally {
    closeSync(fd);
  }
}

/**
 * coalesce joins the archive's many small chunks (a 512-byte header, then each file) into blocks of
 * 256 KiB, so gzip makes a few thread-pool round trips instead of two per file. Deflate's output does not
 * depend on how its input is split, so the digest is the same.
 */
function coalesce(): Transform {
  const BLOCK = 256 << 10;
  let parts: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= BLOCK) {
        this.push(Buffer.concat(parts, length));
        parts = [];
        length = 0;
      }
      cb();
    },
    flush(cb) {
      if (length) this.push(Buffer.concat(parts, length));
      cb();
    },
  });
}

/** QUEUE_BYTES bounds the file bytes held in memory while the gzip stream catches up. */
const QUEUE_BYTES = 8 << 20;

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
 * Flux's modes, no symlinks. The digest is the sha256 of the compressed bytes. Small files are read
 * synchronously while the gzip stream compresses earlier ones in the thread pool.
 */
export async function pack(root: string, dest: string, opts: PackOptions = {}): Promise<PackResult> {
  const given = opts.rules;
  const tree = await walkTree(root, given && ((rel) => given.ignored(`${rel}/`)));
  const entries = filterTree(tree.entries, given ?? ignoreRules(tree.ignores, opts.ignore));
  const archive = tar.pack();
  const meter = sha256Meter();
  const writing = pipeline(archive, coalesce(), createGzip({ level: 6, chunkSize: 64 * 1024 }), meter.stream, createWriteStream(dest));
  writing.catch(() => {}); // awaited below; a failure also fails the entry writes
  const header = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  // Entries are queued without waiting for each one to be consumed; at most QUEUE_BYTES wait at a time.
  let queued = 0;
  let last: Promise<void> = Promise.resolve();
  const written = (entry: (done: (err?: Error | null) => void) => void) => {
    last = new Promise<void>((res, rej) => entry((err) => (err ? rej(err) : res())));
    last.catch(() => {}); // awaited below
    return last;
  };
  for (const e of entries) {
    if (e.dir) {
      archive.entry({ ...header, name: `${e.rel}/`, type: "directory", mode: 0o750 });
      continue;
    }
    const f = loadFile(join(root, e.rel));
    if (f.data) {
      const data = f.data;
      written((done) => archive.entry({ ...header, name: e.rel, type: "file", mode: f.mode, size: data.length }, data, done));
      queued += data.length + 512;
      if (queued < QUEUE_BYTES) continue;
      await last;
      queued = 0;
    } else {
      await written((done) => {
        const sink = archive.entry({ ...header, name: e.rel, type: "file", mode: f.mode, size: f.size }, done);
        createReadStream(join(root, e.rel)).on("error", (err) => sink.destroy(err)).pipe(sink);
      });
      queued = 0;
    }
  }
  await last;
  archive.finalize();
  await writing;
  return { digest: meter.digest(), size: meter.size() };
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

/** EXTRACT_WRITES is how many small files extract writes at once. */
const EXTRACT_WRITES = 16;

/**
 * extract unpacks a tar.gz into root, rejecting entries that escape it. Small files are read into
 * memory and written in the background (EXTRACT_WRITES at a time) while the archive is still being
 * read, so a tree of many small manifests is not written one file at a time; writes to the same path
 * stay in archive order (the last entry wins, as with tar). Large files are streamed.
 */
export async function extract(archivePath: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const dirs = new Map<string, Promise<unknown>>();
  const ensureDir = (d: string) => {
    let made = dirs.get(d);
    if (!made) dirs.set(d, (made = mkdir(d, { recursive: true })));
    return made;
  };
  const limit = pLimit(EXTRACT_WRITES);
  const writes = new Map<string, Promise<void>>();
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
      ensureDir(target).then(() => done(), done);
    } else if ((h.type === "file" || h.type === "contiguous-file") && (h.size ?? SMALL_FILE) < SMALL_FILE) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        const mode = (h.mode ?? 0o600) & 0o755;
        const previous = writes.get(target) ?? Promise.resolve();
        const write = previous.then(() => limit(async () => {
          await ensureDir(dirname(target));
          await writeFile(target, Buffer.concat(chunks), { mode });
        }));
        write.catch((err: unknown) => ex.destroy(err as Error));
        writes.set(target, write);
        done();
      });
    } else if (h.type === "file" || h.type === "contiguous-file") {
      Promise.all([ensureDir(dirname(target)), writes.get(target)])
        .then(() => pipeline(stream, createWriteStream(target, { mode: (h.mode ?? 0o600) & 0o755 })))
        .then(() => done(), done);
    } else {
      stream.resume();
      done();
    }
  });
  try {
    await pipeline(createReadStream(archivePath), createGunzip(), ex);
  } finally {
    // Never return (or let the caller remove root) while a write is still in flight.
    await Promise.allSettled(writes.values());
  }
  await Promise.all(writes.values());
}
