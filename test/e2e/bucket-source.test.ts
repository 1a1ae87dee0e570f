// Bucket against a real S3 server (versitygw): every field, Flux's revision, no-op detection, digest
// verification and bad input.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "../../src/core/artifact/archive";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { ensureBucketArtifact, planBucket, bucketStatus, validateBucket } from "../../src/core/reconcile/bucket";
import { ensureSourceArtifact } from "../../src/core/reconcile/source-reference";
import type { BucketSpec } from "../../src/core/source/bucket-types";
import { freePort } from "../harness/pki";
import { startS3Server, type S3Server } from "../harness/s3-server";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** fluxRevision computes Flux's Bucket revision independently: sha256 over sorted "<key> <etag>\n", ETags unquoted. */
function fluxRevision(objects: { key: string; etag: string }[]): string {
  const lines = objects
    .map((o) => `${o.key} ${o.etag.slice(1, -1)}\n`)
    .sort((a, b) => Buffer.compare(Buffer.from(a.split(" ")[0]), Buffer.from(b.split(" ")[0])))
    .join("");
  return `sha256:${createHash("sha256").update(lines).digest("hex")}`;
}

/** filesOf extracts an artifact and returns its files (path -> content). */
async function filesOf(archive: string): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(scratch, "extract-"));
  try {
    await extract(archive, dir);
    const out: Record<string, string> = {};
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile()) {
        const full = join(e.parentPath, e.name);
        out[full.slice(dir.length + 1)] = await readFile(full, "utf8");
      }
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("Bucket source", () => {
  let s3: S3Server;
  let s3tls: S3Server;
  let storeDir: string;
  const ctx = () => ({ store: new ArtifactStore(storeDir), log: silentLogger });
  const spec = (extra: Partial<BucketSpec> = {}): BucketSpec => ({
    bucketName: "fleet",
    endpoint: s3.endpoint,
    insecure: true,
    auth: { accessKey: s3.accessKey, secretKey: s3.secretKey },
    timeout: "10s",
    ...extra,
  });
  /** downloads counts the object downloads the server served (the root .sourceignore lookup aside). */
  const downloads = async (server = s3) => (await server.requests()).filter((r) => r.operation === "GetObject" && r.key !== ".sourceignore").length;

  before(async () => {
    [s3, s3tls] = await Promise.all([startS3Server({ parent: scratch }), startS3Server({ parent: scratch, tls: true })]);
    storeDir = await mkdtemp(join(scratch, "store-"));
    await s3.createBucket("fleet");
    await s3.put("fleet", "deploy/a.yaml", "a: 1\n");
    await s3.put("fleet", "deploy/b.yaml", "b: 1\n");
    await s3.put("fleet", "README.md", "read me\n");
  });
  after(async () => {
    await Promise.all([s3?.stop(), s3tls?.stop()]);
  });

  test("the revision is sha256 over the sorted \"<key> <etag>\" lines and the artifact holds the objects", async () => {
    const { artifact, fetched } = await planBucket("fleet", spec(), undefined, ctx());
    assert.equal(fetched, true);
    assert.equal(artifact.revision, fluxRevision(await s3.list("fleet")));
    assert.match(artifact.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(await filesOf(ctx().store.path(artifact.digest)), { "README.md": "read me\n", "deploy/a.yaml": "a: 1\n", "deploy/b.yaml": "b: 1\n" });
  });

  test("endpoint with and without scheme, and an explicit region, give the same artifact", async () => {
    const plain = await planBucket("fleet", spec(), undefined, ctx());
    const cases: Partial<BucketSpec>[] = [{ endpoint: s3.url }, { endpoint: s3.endpoint, region: "us-east-1" }, { endpoint: `${s3.endpoint}/` }];
    for (const extra of cases) {
      const { artifact } = await planBucket("fleet", spec(extra), undefined, ctx());
      assert.equal(artifact.digest, plain.artifact.digest, JSON.stringify(extra));
    }
  });

  test("prefix lists only the keys below it; keys keep their full path in the artifact", async () => {
    const { artifact } = await planBucket("fleet", spec({ prefix: "deploy/" }), undefined, ctx());
    assert.equal(artifact.revision, fluxRevision(await s3.list("fleet", "deploy/")));
    assert.deepEqual(Object.keys(await filesOf(ctx().store.path(artifact.digest))).sort(), ["deploy/a.yaml", "deploy/b.yaml"]);
  });

  test("the root .sourceignore and ignore filter keys; nothing else is excluded, as in Flux", async () => {
    await s3.createBucket("ignores");
    await s3.put("ignores", ".sourceignore", "# docs stay out\n*.md\n");
    for (const key of ["app/a.yaml", "app/notes.md", "logo.png", ".github/ci.yml", "secret/key.yaml", "nested/.sourceignore", "nested/b.yaml"]) {
      await s3.put("ignores", key, `${key}\n`);
    }
    const base = { bucketName: "ignores", ignore: "secret/\n" };
    const { artifact } = await planBucket("ignores", spec(base), undefined, ctx());
    const kept = ["app/a.yaml", "logo.png", ".github/ci.yml", "nested/.sourceignore", "nested/b.yaml"];
    assert.deepEqual(Object.keys(await filesOf(ctx().store.path(artifact.digest))).sort(), [...kept].sort(), "only a root .sourceignore counts; it is not in the artifact");
    assert.equal(artifact.revision, fluxRevision((await s3.list("ignores")).filter((o) => kept.includes(o.key))));
    // The root .sourceignore is read even with a prefix that excludes it from the listing.
    const prefixed = await planBucket("ignores", spec({ ...base, prefix: "app/" }), undefined, ctx());
    assert.deepEqual(Object.keys(await filesOf(ctx().store.path(prefixed.artifact.digest))), ["app/a.yaml"]);
  });

  test("an unchanged bucket downloads nothing; a new, changed or removed object gives a new revision", async () => {
    await s3.createBucket("moving");
    await s3.put("moving", "a.yaml", "a: 1\n");
    const first = await planBucket("moving", spec({ bucketName: "moving" }), undefined, ctx());
    const prev = bucketStatus(spec({ bucketName: "moving" }), first.artifact);

    const before = await downloads();
    const again = await planBucket("moving", spec({ bucketName: "moving" }), prev, ctx());
    assert.equal(again.fetched, false);
    assert.deepEqual(again.artifact, first.artifact);
    assert.equal(await downloads(), before, "no object was downloaded");

    const ignored = await planBucket("moving", spec({ bucketName: "moving", ignore: "*.md" }), prev, ctx());
    assert.equal(ignored.fetched, true, "new settings download again");
    assert.equal(await downloads(), before + 1);

    await s3.put("moving", "b.yaml", "b: 1\n");
    const added = await planBucket("moving", spec({ bucketName: "moving" }), prev, ctx());
    assert.equal(added.fetched, true);
    assert.equal(added.artifact.revision, fluxRevision(await s3.list("moving")));
    assert.notEqual(added.artifact.revision, first.artifact.revision);

    await s3.put("moving", "a.yaml", "a: 2\n");
    const changed = await planBucket("moving", spec({ bucketName: "moving" }), bucketStatus(spec({ bucketName: "moving" }), added.artifact), ctx());
    assert.notEqual(changed.artifact.revision, added.artifact.revision);
    assert.equal((await filesOf(ctx().store.path(changed.artifact.digest)))["a.yaml"], "a: 2\n");

    await s3.remove("moving", "b.yaml");
    const removed = await planBucket("moving", spec({ bucketName: "moving" }), bucketStatus(spec({ bucketName: "moving" }), changed.artifact), ctx());
    assert.equal(removed.artifact.revision, fluxRevision(await s3.list("moving")));
    assert.deepEqual(Object.keys(await filesOf(ctx().store.path(removed.artifact.digest))), ["a.yaml"]);

    const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const missing = await planBucket("moving", spec({ bucketName: "moving" }), bucketStatus(spec({ bucketName: "moving" }), removed.artifact), { store: elsewhere, log: silentLogger });
    assert.equal(missing.fetched, true, "a store without the artifact downloads it");
    assert.equal(missing.artifact.digest, removed.artifact.digest, "the same objects pack to the same digest");
  });

  test("without auth a public bucket is read anonymously, as Flux does", async () => {
    await s3.createBucket("public");
    await s3.put("public", "a.yaml", "public: true\n");
    await s3.allowPublicRead("public");
    const { artifact } = await planBucket("public", spec({ bucketName: "public", auth: undefined }), undefined, ctx());
    assert.equal(artifact.revision, fluxRevision(await s3.list("public")));
    assert.deepEqual(await filesOf(ctx().store.path(artifact.digest)), { "a.yaml": "public: true\n" });
  });

  test("tls.caCert verifies the server's certificate; without it the TLS error names the fix", async () => {
    await s3tls.createBucket("fleet");
    await s3tls.put("fleet", "a.yaml", "tls: true\n");
    const tlsSpec = (extra: Partial<BucketSpec> = {}): BucketSpec => ({
      bucketName: "fleet",
      endpoint: s3tls.endpoint,
      auth: { accessKey: s3tls.accessKey, secretKey: s3tls.secretKey },
      tls: { caCert: s3tls.caPem },
      timeout: "10s",
      ...extra,
    });
    const { artifact } = await planBucket("secure", tlsSpec(), undefined, ctx());
    assert.equal(artifact.revision, fluxRevision(await s3tls.list("fleet")));
    const withScheme = await planBucket("secure", tlsSpec({ endpoint: s3tls.url }), undefined, ctx());
    assert.equal(withScheme.artifact.digest, artifact.digest);
    await assert.rejects(planBucket("secure", tlsSpec({ tls: undefined }), undefined, ctx()), /Bucket "secure": TLS with https:\/\/127\.0\.0\.1:\d+ failed .*set tls\.caCert/);
    await assert.rejects(planBucket("plain", spec({ insecure: false }), undefined, ctx()), /Bucket "plain": TLS with https:\/\/127\.0\.0\.1:\d+ failed .*or insecure: true/);
  });

  describe("bad input fails naming the resource, the problem and the field", () => {
    test("wrong credentials: check auth, and the secret is never echoed", async () => {
      for (const auth of [{ accessKey: s3.accessKey, secretKey: "hunter2-wrong-secret" }, { accessKey: "AKNOSUCHKEY", secretKey: s3.secretKey }]) {
        const err = await planBucket("fleet", spec({ auth }), undefined, ctx()).catch((e: Error) => e);
        assert.ok(err instanceof Error);
        assert.match(err.message, /Bucket "fleet": authentication to http:\/\/127\.0\.0\.1:\d+ failed .*check auth/);
        assert.equal(err.message.includes(auth.secretKey), false, "the secret key is not in the message");
      }
      // A private bucket read anonymously.
      await assert.rejects(planBucket("fleet", spec({ auth: undefined }), undefined, ctx()), /Bucket "fleet": authentication to .* failed \(AccessDenied.*check auth/);
    });

    test("an unknown bucket: check bucketName", async () => {
      await assert.rejects(planBucket("fleet", spec({ bucketName: "no-such-bucket" }), undefined, ctx()), /Bucket "fleet": bucket "no-such-bucket" was not found at http:\/\/127\.0\.0\.1:\d+: check bucketName/);
    });

    test("a region the server does not serve: set region", async () => {
      await assert.rejects(planBucket("fleet", spec({ region: "eu-west-1" }), undefined, ctx()), /Bucket "fleet": .* rejected region "eu-west-1" .*set region/);
    });

    test("an endpoint that never answers fails within timeout; a closed port is unreachable", async () => {
      const sockets = new Set<Socket>();
      const silent: Server = createServer((s) => (sockets.add(s), s.on("error", () => {})));
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
      try {
        const port = (silent.address() as { port: number }).port;
        const started = Date.now();
        await assert.rejects(planBucket("fleet", spec({ endpoint: `127.0.0.1:${port}`, timeout: "2s" }), undefined, ctx()), /Bucket "fleet": http:\/\/127\.0\.0\.1:\d+ did not answer within timeout 2s: check endpoint/);
        const took = Date.now() - started;
        assert.ok(took >= 2000 && took < 2000 + 4000, `failed after ${took}ms`);
        assert.ok(sockets.size >= 1, "the client did connect");
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      }
      const closed = await freePort();
      await assert.rejects(planBucket("fleet", spec({ endpoint: `127.0.0.1:${closed}` }), undefined, ctx()), /Bucket "fleet": http:\/\/127\.0\.0\.1:\d+ is unreachable \(.*ECONNREFUSED.*\): check endpoint/);
    });

    test("invalid specs fail before any request, naming the field", async () => {
      const cases: [Partial<BucketSpec>, string, RegExp][] = [
        [{ provider: "gcp" }, "provider", /provider "gcp" is not supported yet/],
        [{ provider: "azure" }, "provider", /provider "azure" is not supported yet/],
        [{ endpoint: `http://${"127.0.0.1:9"}`, insecure: false }, "endpoint", /is plain HTTP: set insecure: true/],
        [{ endpoint: "" }, "endpoint", /endpoint is required/],
        [{ bucketName: "" }, "bucketName", /bucketName is required/],
        [{ timeout: "soon" }, "timeout", /timeout: "soon" is not a duration/],
        [{ auth: { accessKey: "x" } }, "auth", /auth needs both accessKey and secretKey/],
      ];
      const before = (await s3.requests()).length;
      for (const [extra, property, message] of cases) {
        assert.deepEqual(validateBucket(spec(extra)).map((p) => p.property), [property], JSON.stringify(extra));
        await assert.rejects(planBucket("fleet", spec(extra), undefined, ctx()), (e: Error) => message.test(e.message) && e.message.startsWith('Bucket "fleet": '));
      }
      assert.equal((await s3.requests()).length, before, "no request reached the server");
    });

    test("versitygw refuses keys that escape the bucket and normalises absolute ones (the guard is unit-tested)", async () => {
      await s3.createBucket("escape");
      for (const key of ["../x.yaml", "a/../../x"]) await assert.rejects(s3.put("escape", key, "x"), `the server refuses "${key}"`);
      await s3.put("escape", "/abs.yaml", "abs\n");
      assert.deepEqual((await s3.list("escape")).map((o) => o.key), ["abs.yaml"]);
      const { artifact } = await planBucket("escape", spec({ bucketName: "escape" }), undefined, ctx());
      assert.deepEqual(await filesOf(ctx().store.path(artifact.digest)), { "abs.yaml": "abs\n" });
    });
  });

  describe("ensureBucketArtifact", () => {
    test("a store without the artifact downloads the same revision again and verifies its digest", async () => {
      const { artifact } = await planBucket("fleet", spec(), undefined, ctx());
      const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
      const path = await ensureBucketArtifact("fleet", spec(), artifact, { store: elsewhere, log: silentLogger });
      assert.equal(path, elsewhere.path(artifact.digest));
      assert.ok(await elsewhere.has(artifact.digest));
      assert.equal(await ensureBucketArtifact("fleet", spec(), artifact, ctx()), ctx().store.path(artifact.digest), "a store that has it is used as is");
    });

    test("consumers reach it through ensureSourceArtifact", async () => {
      const { artifact } = await planBucket("fleet", spec(), undefined, ctx());
      const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
      const path = await ensureSourceArtifact({ kind: "Bucket", name: "fleet", spec: spec(), artifact }, { store: elsewhere, log: silentLogger });
      assert.deepEqual(await filesOf(path), await filesOf(ctx().store.path(artifact.digest)));
    });

    test("a digest that does not match the downloaded content is an error naming both digests", async () => {
      const { artifact } = await planBucket("fleet", spec(), undefined, ctx());
      const recorded = { ...artifact, digest: `sha256:${"0".repeat(64)}` };
      const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
      const err = await ensureBucketArtifact("fleet", spec(), recorded, { store: elsewhere, log: silentLogger }).catch((e: Error) => e);
      assert.ok(err instanceof Error, "ensure fails");
      assert.ok(
        err.message.startsWith(`Bucket "fleet": digest mismatch for revision ${artifact.revision}: state has ${recorded.digest}, the downloaded content is ${artifact.digest}`),
        err.message,
      );
    });

    test("bytes changed behind the server's back under the same ETag fail the server's checksum", async () => {
      await s3.createBucket("rewritten");
      await s3.put("rewritten", "a.yaml", "a: 1\n");
      const rewritten = spec({ bucketName: "rewritten" });
      const { artifact } = await planBucket("rewritten", rewritten, undefined, ctx());
      await writeFile(join(s3.dataDir, "rewritten", "a.yaml"), "a: 666\n"); // same inode: the ETag and checksum attributes stay
      assert.equal(fluxRevision(await s3.list("rewritten")), artifact.revision, "the listing did not change");
      const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
      await assert.rejects(
        ensureBucketArtifact("rewritten", rewritten, artifact, { store: elsewhere, log: silentLogger }),
        /Bucket "rewritten": object "a\.yaml" in bucket "rewritten" does not match the checksum the server stored/,
      );
      assert.equal(await elsewhere.has(artifact.digest), false);
    });

    test("a bucket that changed since the recorded revision is an error, never a silent re-resolve", async () => {
      await s3.createBucket("changing");
      await s3.put("changing", "a.yaml", "a: 1\n");
      const changing = spec({ bucketName: "changing" });
      const { artifact } = await planBucket("changing", changing, undefined, ctx());
      await s3.put("changing", "a.yaml", "a: 2\n");
      const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
      await assert.rejects(
        ensureBucketArtifact("changing", changing, artifact, { store: elsewhere, log: silentLogger }),
        new RegExp(`Bucket "changing": bucket "changing" changed since revision ${artifact.revision} was recorded \\(it is now sha256:[0-9a-f]{64}\\).*run \`pulumi up\``),
      );
      assert.equal(await elsewhere.has(artifact.digest), false);
    });
  });

  test("no temp dir is left behind", async () => {
    const leftovers = (await readdir(tmpdir())).filter((n) => n.startsWith("fluxiac-bucket-"));
    const { artifact } = await planBucket("fleet", spec({ ignore: "README.md" }), undefined, ctx());
    assert.ok(artifact.digest);
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith("fluxiac-bucket-"));
    assert.deepEqual(after.sort(), leftovers.sort());
  });
});
