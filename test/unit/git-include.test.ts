// include[]: copying an included artifact into a checkout never writes outside the tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "../../src/core/artifact/archive";
import { silentLogger } from "../../src/core/log";
import { copyIncludes } from "../../src/core/source/git-include";
import type { GitRepositoryInclude } from "../../src/core/source/git-types";

const ctx = { object: { kind: "GitRepository", name: "main" }, log: silentLogger };
const include = (extra: Partial<GitRepositoryInclude> = {}): GitRepositoryInclude => ({
  repository: { kind: "GitRepository", name: "lib", spec: { url: "https://x" }, artifact: { revision: "main@sha1:" + "a".repeat(40), digest: "sha256:x", size: 1 } },
  ...extra,
});

test("given a checkout whose toPath is a symlink out of the tree, the include lands inside the tree", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
  try {
    const [lib, checkout, outside] = ["lib", "checkout", "outside"].map((d) => join(scratch, d));
    await mkdir(join(lib, "deploy"), { recursive: true });
    await writeFile(join(lib, "deploy", "x.yaml"), "x: 1\n");
    await Promise.all([mkdir(checkout), mkdir(outside)]);
    await symlink(outside, join(checkout, "vendor"));
    const archive = join(scratch, "lib.tar.gz");
    await pack(lib, archive);

    await copyIncludes(checkout, [{ include: include({ fromPath: "deploy", toPath: "vendor" }), archive }], ctx);

    assert.deepEqual(await readdir(outside), [], "nothing written through the symlink");
    assert.ok((await lstat(join(checkout, "vendor"))).isDirectory());
    assert.equal(await readFile(join(checkout, "vendor", "x.yaml"), "utf8"), "x: 1\n");
    await copyIncludes(checkout, [{ include: include(), archive }], ctx);
    assert.equal(await readFile(join(checkout, "lib", "deploy", "x.yaml"), "utf8"), "x: 1\n", "toPath defaults to the repository's name");
    await assert.rejects(copyIncludes(checkout, [{ include: include({ toPath: "a/../../b" }), archive }], ctx), /include\[0\]\.toPath "a\/\.\.\/\.\.\/b" must not contain "\.\."/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
