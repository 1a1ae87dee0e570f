// Pure logic of the Bucket source: Flux's revision, the key filter, the key-to-path guard, endpoints,
// validation, error classification, and a hostile listing that must never write outside the temp dir.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { bucketFailure, validateBucket } from "../../src/core/reconcile/bucket";
import { BucketError, type BucketClient, type BucketObject } from "../../src/core/source/bucket/client";
import { fetchBucketArtifact, indexBucket, objectFiles } from "../../src/core/source/bucket/fetch";
import { bucketRevision, keyFilter, objectPath, trimEtag } from "../../src/core/source/bucket/revision";
import { classifyS3Error, endpointUrl } from "../../src/core/source/bucket/s3";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const sha256 = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

describe("bucketRevision", () => {
  test("hashes the lines \"<key> <etag>\\n\" sorted by key, ETags without quotes", () => {
    const objects = [
      { key: "b.yaml", etag: '"bbb"' },
      { key: "a/x.yaml", etag: '"aaa"' },
      { key: "a.yaml", etag: "unquoted" },
    ];
    assert.equal(bucketRevision(objects), sha256("a.yaml unquoted\na/x.yaml aaa\nb.yaml bbb\n"));
  });

  test("sorts bytewise like Go's sort.Strings, not by UTF-16 code units", () => {
    // JavaScript's default sort puts U+1F600 (UTF-16 0xD83D…) before U+FF61; Go compares UTF-8 bytes
    // (F0 9F… against EF BD…) and puts U+FF61 first.
    const objects = [{ key: "\u{1F600}", etag: "1" }, { key: "\uFF61", etag: "2" }, { key: "Z", etag: "3" }, { key: "a", etag: "4" }];
    assert.equal(bucketRevision(objects), sha256("Z 3\na 4\n\uFF61 2\n\u{1F600} 1\n"));
  });

  test("an empty bucket has the digest of nothing", () => {
    assert.equal(bucketRevision([]), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  test("trimEtag drops one pair of surrounding quotes only", () => {
    const cases: [string, string][] = [['"abc"', "abc"], ["abc", "abc"], ['"abc-2"', "abc-2"], ['W/"abc"', 'W/"abc']];
    for (const [etag, want] of cases) assert.equal(trimEtag(etag), want, etag);
  });
});

describe("objectPath guards the artifact root", () => {
  const root = "/tmp/fluxiac-root";
  test("ordinary keys map below the root", () => {
    const cases: [string, string][] = [["a.yaml", "a.yaml"], ["deploy/a.yaml", "deploy/a.yaml"], ["a//b.yaml", "a/b.yaml"], ["./a.yaml", "a.yaml"], ["a/./b", "a/b"], ["..a/b..", "..a/b.."]];
    for (const [key, rel] of cases) assert.equal(objectPath(root, key), resolve(root, rel), key);
  });
  test("keys that are absolute, contain .. segments or resolve to the root are rejected", () => {
    for (const key of ["../x.yaml", "a/../../x", "a/../b", "..", "a/..", "/abs.yaml", "/etc/passwd", "\\\\server\\x", "C:\\x", "C:x", "a\\..\\..\\x", "", ".", "./", "a\0b"]) {
      assert.throws(() => objectPath(root, key), (e: unknown) => e instanceof BucketError && e.kind === "invalidKey" && e.message.includes("never written"), JSON.stringify(key));
    }
  });
  test("keys that collide, or where one object is another's directory, are rejected", () => {
    const objs = (...keys: string[]) => keys.map((key) => ({ key, etag: "e" }));
    assert.throws(() => objectFiles(root, objs("a/b", "a//b")), /object keys "a\/b" and "a\/\/b" map to the same file "a\/b"/);
    assert.throws(() => objectFiles(root, objs("a", "a/b/c")), /object "a" is a file where object "a\/b\/c" needs a directory/);
    assert.equal(objectFiles(root, objs("a/b", "a/c", "ab")).size, 3);
  });
});

describe("keyFilter", () => {
  test("applies the root .sourceignore, then ignore; no default exclusions (Flux's Bucket)", () => {
    const f = keyFilter("# comment\n*.md\n!keep.md\n/top.yaml\n", "secret/\n");
    const cases: [string, boolean][] = [
      ["a.yaml", false],
      ["docs/x.md", true],
      ["keep.md", false],
      ["top.yaml", true],
      ["sub/top.yaml", false],
      ["secret/key.yaml", true],
      ["a/secret/key.yaml", true],
      ["logo.png", false],
      [".git/config", false],
      [".github/workflows/ci.yml", false],
      ["dir/", true],
      [".sourceignore", true],
      ["nested/.sourceignore", false],
      ["a//b.md", true],
    ];
    for (const [key, excluded] of cases) assert.equal(f.excluded(key), excluded, key);
  });
});

describe("endpointUrl", () => {
  test("adds https:// unless insecure, and accepts an agreeing scheme", () => {
    const cases: [string | undefined, boolean | undefined, string | undefined][] = [
      ["s3.example.com", undefined, "https://s3.example.com"],
      ["minio:9000", true, "http://minio:9000"],
      ["https://s3.example.com:443", false, "https://s3.example.com"],
      ["http://127.0.0.1:9000/", true, "http://127.0.0.1:9000"],
      [undefined, undefined, undefined],
    ];
    for (const [endpoint, insecure, want] of cases) assert.equal(endpointUrl({ endpoint, insecure }), want, endpoint);
  });
  test("rejects contradictions, other schemes, paths and credentials", () => {
    const cases: [string, boolean | undefined, RegExp][] = [
      ["http://minio:9000", false, /plain HTTP: set insecure: true/],
      ["https://minio:9000", true, /insecure is true/],
      ["ftp://minio", false, /must be host\[:port\]/],
      ["minio:9000/bucket", true, /without path/],
      ["user:pw@minio:9000", true, /without path, query or credentials/],
    ];
    for (const [endpoint, insecure, message] of cases) assert.throws(() => endpointUrl({ endpoint, insecure }), message, endpoint);
  });
});

describe("validateBucket", () => {
  const ok = { bucketName: "b", endpoint: "minio:9000" };
  test("a minimal generic spec and an aws spec without endpoint are valid", () => {
    assert.deepEqual(validateBucket(ok), []);
    assert.deepEqual(validateBucket({ provider: "aws", bucketName: "b" }), []);
  });
  test("each problem names its field", () => {
    const cases: [object, string, RegExp][] = [
      [{ provider: "gcp" }, "provider", /"gcp" is not supported yet/],
      [{ provider: "azure" }, "provider", /"azure" is not supported yet/],
      [{ provider: "oracle" }, "provider", /unknown/],
      [{ bucketName: "" }, "bucketName", /required/],
      [{ endpoint: "" }, "endpoint", /required/],
      [{ timeout: "0s" }, "timeout", /longer than 0s/],
      [{ timeout: "1 minute" }, "timeout", /not a duration/],
      [{ auth: { secretKey: "s" } }, "auth", /both accessKey and secretKey/],
      [{ tls: { cert: "c" } }, "tls", /both cert and key/],
    ];
    for (const [extra, property, reason] of cases) {
      const problems = validateBucket({ ...ok, ...extra });
      assert.deepEqual(problems.map((p) => p.property), [property], JSON.stringify(extra));
      assert.match(problems[0].reason, reason);
    }
  });
});

describe("errors", () => {
  const never = new AbortController().signal;
  test("S3 error codes, socket codes and aborts map to kinds", () => {
    const cases: [unknown, AbortSignal, string][] = [
      [{ name: "InvalidAccessKeyId" }, never, "auth"],
      [{ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } }, never, "auth"],
      [{ name: "Unknown", $metadata: { httpStatusCode: 403 } }, never, "auth"],
      [{ name: "NoSuchBucket" }, never, "bucketNotFound"],
      [{ name: "AuthorizationHeaderMalformed", message: 'the region "x" is wrong' }, never, "region"],
      [{ name: "PreconditionFailed" }, never, "changed"],
      [new Error('Checksum mismatch: expected "a" but received "b" in response header "x-amz-checksum-crc32".'), never, "checksum"],
      [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), never, "unreachable"],
      [Object.assign(new Error("self-signed certificate in certificate chain"), { code: "SELF_SIGNED_CERT_IN_CHAIN" }), never, "tls"],
      [{ name: "AbortError" }, never, "timeout"],
      [new Error("anything"), AbortSignal.abort(), "timeout"],
      [{ name: "InternalError" }, never, "other"],
    ];
    for (const [err, signal, kind] of cases) assert.equal(classifyS3Error(err, signal).kind, kind, JSON.stringify(err));
    assert.equal(classifyS3Error({ name: "NotFound", $metadata: { httpStatusCode: 404 } }, never, "k").kind, "objectNotFound");
  });
  test("messages name the resource and the fix, and never carry the keys", () => {
    const spec = { bucketName: "b", endpoint: "minio:9000", auth: { accessKey: "AKID", secretKey: "s3cr3t" } };
    const err = bucketFailure({ kind: "Bucket", name: "apps" }, spec, new BucketError("other", "server said s3cr3t for AKID"));
    assert.equal(err.message, 'Bucket "apps": bucket "b" at https://minio:9000: server said *** for ***');
    assert.match(bucketFailure({ kind: "Bucket", name: "apps" }, spec, new BucketError("auth", "x")).message, /check auth/);
    assert.equal(bucketFailure({ kind: "Bucket", name: "apps" }, spec, new BucketError("auth", "x")).reason, "AuthenticationFailed");
  });
});

/** stubClient serves a fixed listing (as a hostile or broken server could) and records what it writes. */
function stubClient(objects: Record<string, string>) {
  const written: string[] = [];
  const client: BucketClient = {
    async *list(prefix) {
      for (const key of Object.keys(objects)) if (!prefix || key.startsWith(prefix)) yield { key, etag: `"${key.length}"` };
    },
    async download(key, destFile) {
      if (!(key in objects)) throw new BucketError("objectNotFound", "NoSuchKey", key);
      written.push(destFile);
      await writeFile(destFile, objects[key], { flag: "wx" });
    },
    close() {},
  };
  return { client, written };
}

describe("a hostile listing never writes outside the temp dir", () => {
  const ctx = { log: silentLogger, signal: new AbortController().signal };
  for (const key of ["../x.yaml", "a/../../x.yaml", "/x.yaml", "a/../x.yaml"]) {
    test(`"${key}" fails the index before anything is downloaded`, async () => {
      const { client, written } = stubClient({ "ok.yaml": "ok", [key]: "evil" });
      await assert.rejects(indexBucket(client, {}, ctx), (e: unknown) => e instanceof BucketError && e.kind === "invalidKey" && e.key === key);
      assert.deepEqual(written, [], "nothing was written");
    });
  }
  test("an index that carries an escaping key is rejected by the download step too", async () => {
    const { client, written } = stubClient({ "ok.yaml": "ok", "../x.yaml": "evil" });
    const store = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const objects: BucketObject[] = [{ key: "ok.yaml", etag: '"1"' }, { key: "../x.yaml", etag: '"2"' }];
    const before = readdirSync(tmpdir()).filter((n) => n === "x.yaml");
    await assert.rejects(fetchBucketArtifact(client, { objects, revision: bucketRevision(objects) }, store, ctx), /"\.\.\/x\.yaml" contains a "\.\." segment/);
    assert.deepEqual(written, []);
    assert.deepEqual(readdirSync(tmpdir()).filter((n) => n === "x.yaml"), before);
  });
  test("a download failure aborts the rest and removes the temp dir", async () => {
    const { client } = stubClient({ "a.yaml": "a" });
    const store = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const objects: BucketObject[] = [{ key: "a.yaml", etag: '"1"' }, { key: "gone.yaml", etag: '"2"' }];
    const temps = () => readdirSync(tmpdir()).filter((n) => n.startsWith("fluxiac-bucket-")).sort();
    const before = temps();
    await assert.rejects(fetchBucketArtifact(client, { objects, revision: bucketRevision(objects) }, store, ctx), (e: unknown) => e instanceof BucketError && e.kind === "objectNotFound");
    assert.deepEqual(temps(), before);
  });
});
