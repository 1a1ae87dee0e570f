// Artifacts: deterministic archives, Flux's ignore rules, safe extraction, the content-addressed store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, utimes, writeFile, chmod, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import { ArtifactStore } from "../../src/core/artifact/store";
import { extract, pack, safeEntryPath } from "../../src/core/artifact/archive";
import { ignoreRules, scopePattern } from "../../src/core/artifact/ignore";
import { parseDigest } from "../../src/core/artifact/digest";
import { mkdtempSync, rmSync } from "node:fs";
import { after as afterAll } from "node:test";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(scratch, "fluxiac-unit-"));
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(dir, p, ".."), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  return dir;
}

async function listArchive(path: string): Promise<{ name: string; mode: number; mtime: number; uid: number }[]> {
  const out: { name: string; mode: number; mtime: number; uid: number }[] = [];
  const ex = tar.extract();
  ex.on("entry", (h, s, next) => {
    out.push({ name: h.name, mode: h.mode ?? 0, mtime: h.mtime?.getTime() ?? -1, uid: h.uid ?? -1 });
    s.resume();
    next();
  });
  const { createReadStream } = await import("node:fs");
  const { createGunzip } = await import("node:zlib");
  await pipeline(createReadStream(path), createGunzip(), ex);
  return out;
}

test("the same tree packs to the same digest whatever its timestamps", async () => {
  const a = await tree({ "deploy/app.yaml": "kind: ConfigMap\n", "README.md": "hi" });
  const b = await tree({ "README.md": "hi", "deploy/app.yaml": "kind: ConfigMap\n" });
  await utimes(join(b, "README.md"), new Date(1_000_000), new Date(1_000_000));
  const store = new ArtifactStore(await mkdtemp(join(scratch, "fluxiac-store-")));
  const ra = await store.packDir(a);
  const rb = await store.packDir(b);
  assert.equal(ra.digest, rb.digest);
  assert.match(ra.digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(await store.has(ra.digest));
  assert.equal((await stat(store.path(ra.digest))).size, ra.size);
  await writeFile(join(b, "README.md"), "changed");
  assert.notEqual((await store.packDir(b)).digest, ra.digest);
  // Nothing is left in the store's temp folder.
  assert.deepEqual(await readdir(join(store.dir, "tmp")), []);
});

test("archive headers are normalised the way Flux does it, and links are left out", async () => {
  const dir = await tree({ "a/run.sh": "#!/bin/sh\n", "a/data.yaml": "x: 1\n" });
  await chmod(join(dir, "a/run.sh"), 0o755);
  await symlink("/etc/passwd", join(dir, "a/link"));
  const out = join(await mkdtemp(join(scratch, "fluxiac-pack-")), "x.tar.gz");
  await pack(dir, out);
  const entries = await listArchive(out);
  assert.deepEqual(entries.map((e) => e.name), ["a/", "a/data.yaml", "a/run.sh"]);
  assert.deepEqual(entries.map((e) => e.mode), [0o750, 0o600, 0o700]);
  assert.ok(entries.every((e) => e.mtime === 0 && e.uid === 0));
});

test("default exclusions apply until a custom pattern replaces them; VCS files are always excluded", async () => {
  const files = { ".git/config": "x", "horse.jpg": "jpg", ".github/workflows/ci.yml": "ci", "app.yaml": "a", "secret.txt": "s" };
  const names = async (ignore?: string, extra: Record<string, string> = {}) => {
    const dir = await tree({ ...files, ...extra });
    const out = join(await mkdtemp(join(scratch, "fluxiac-pack-")), "x.tar.gz");
    await pack(dir, out, { ignore });
    return (await listArchive(out)).map((e) => e.name);
  };
  assert.deepEqual(await names(), ["app.yaml", "secret.txt"]);
  // Flux's code (not its docs): any custom pattern drops the non-VCS defaults.
  assert.deepEqual(await names("secret.txt"), [".github/", ".github/workflows/", ".github/workflows/ci.yml", "app.yaml", "horse.jpg"]);
  assert.deepEqual(await names(undefined, { ".sourceignore": "*.txt\n" }), [".github/", ".github/workflows/", ".github/workflows/ci.yml", ".sourceignore", "app.yaml", "horse.jpg"]);
});

test(".sourceignore patterns are scoped to their directory", () => {
  assert.equal(scopePattern("*.txt", "sub"), "sub/**/*.txt");
  assert.equal(scopePattern("/only.yaml", "sub"), "sub/only.yaml");
  assert.equal(scopePattern("!keep.txt", "sub"), "!sub/**/keep.txt");
  const rules = ignoreRules([{ dir: "sub", content: "*.txt\n" }]);
  assert.equal(rules.ignored("sub/a.txt"), true);
  assert.equal(rules.ignored("sub/deep/a.txt"), true);
  assert.equal(rules.ignored("a.txt"), false);
});

test("extraction round-trips a tree and refuses entries that escape the root", async () => {
  const dir = await tree({ "deploy/app.yaml": "kind: ConfigMap\n" });
  const out = join(await mkdtemp(join(scratch, "fluxiac-pack-")), "x.tar.gz");
  await pack(dir, out);
  const dest = await mkdtemp(join(scratch, "fluxiac-extract-"));
  await extract(out, dest);
  assert.equal(await readFile(join(dest, "deploy/app.yaml"), "utf8"), "kind: ConfigMap\n");

  for (const [name, type] of [["../evil", "file"], ["/etc/evil", "file"], ["a/../../evil", "file"], ["link", "symlink"]] as const) {
    const bad = join(await mkdtemp(join(scratch, "fluxiac-bad-")), "bad.tar.gz");
    const p = tar.pack();
    if (type === "symlink") p.entry({ name, type: "symlink", linkname: "/etc/passwd" });
    else p.entry({ name, type: "file" }, "owned");
    p.finalize();
    await pipeline(p, createGzip(), createWriteStream(bad));
    const target = await mkdtemp(join(scratch, "fluxiac-target-"));
    await assert.rejects(extract(bad, join(target, "root")), /escapes the artifact root|absolute path|is a link/, `entry ${name}`);
    assert.deepEqual(await readdir(target).then((d) => d.filter((x) => x !== "root")), [], "nothing written beside the root");
    await rm(target, { recursive: true, force: true });
  }
  assert.throws(() => safeEntryPath("/r", "x/../../y", "file"), /escapes/);
  assert.equal(safeEntryPath("/r", "x/./y", "file"), "/r/x/y");
});

test("digests are validated before they become file names", () => {
  assert.throws(() => parseDigest("sha256:../../etc"), /not a sha256 digest/);
  assert.throws(() => new ArtifactStore("/tmp/s").path("md5:abc"), /not a sha256 digest/);
});

/** PINNED_DIGEST is what fluxiac 0.1 wrote for the tree below. */
const PINNED_DIGEST = "sha256:cb0c89d889ce4c430f1bea4728e2592885a6ccd91d28fcce6fdc40cebee04c94";

test("the archive format is pinned: digests recorded in state by earlier versions stay valid", async () => {
  // Consumers on another machine re-fetch a revision and compare digests, so the bytes of an archive
  // must never change between fluxiac versions. This tree covers directories, small and large
  // (streamed) files, an executable, an ignored directory and a .sourceignore.
  const dir = await tree({
    "deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    "deploy/big.txt": Array.from({ length: 150_000 }, (_, i) => `line ${i}\n`).join(""),
    "tools/run.sh": "#!/bin/sh\necho hi\n",
    "skipped/x.yaml": "x: 1\n",
    ".sourceignore": "skipped/\n",
  });
  await chmod(join(dir, "tools/run.sh"), 0o755);
  const out = join(await mkdtemp(join(scratch, "fluxiac-pack-")), "x.tar.gz");
  const { digest, size } = await pack(dir, out);
  assert.deepEqual((await listArchive(out)).map((e) => e.name), [".sourceignore", "deploy/", "deploy/app.yaml", "deploy/big.txt", "tools/", "tools/run.sh"]);
  assert.equal(digest, PINNED_DIGEST);
  assert.equal(size, (await stat(out)).size);
});

test("files and bytes enter the store under the sha256 of their content, atomically", async () => {
  const store = new ArtifactStore(await mkdtemp(join(scratch, "fluxiac-store-")));
  const bytes = Buffer.from("chart bytes\n");
  const fromBuffer = await store.putBuffer(bytes);
  assert.equal(fromBuffer.digest, `sha256:${createHash("sha256").update(bytes).digest("hex")}`);
  assert.deepEqual(await readFile(store.path(fromBuffer.digest)), bytes);
  const file = join(await mkdtemp(join(scratch, "fluxiac-blob-")), "chart.tgz");
  await writeFile(file, bytes);
  assert.deepEqual(await store.putFile(file), fromBuffer);
  assert.deepEqual(await store.putBuffer(bytes), { digest: fromBuffer.digest, size: bytes.length });
  assert.deepEqual(await readdir(join(store.dir, "tmp")), []);
});
