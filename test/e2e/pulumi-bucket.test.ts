// Bucket under the real Pulumi engine: preview shows a new revision when the bucket changes and nothing
// when it did not, up records the artifact, and the secret key never reaches plain state.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactStore } from "../../src/core/artifact/store";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";
import { startS3Server, type S3Server } from "../harness/s3-server";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** PROGRAM is the test's Pulumi program: one Bucket, driven by config. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { Bucket } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const bucket = new Bucket("fleet", {
  bucketName: cfg.require("bucketName"),
  endpoint: cfg.require("endpoint"),
  insecure: true,
  prefix: cfg.get("prefix"),
  auth: cfg.requireSecretObject("auth"),
  timeout: "20s",
});
exports.revision = bucket.artifact.revision;
exports.digest = bucket.artifact.digest;
exports.referenceRevision = pulumi.unsecret(bucket.sourceReference.apply((r) => r.artifact.revision));
`;

/** fluxRevision computes Flux's Bucket revision independently: sha256 over sorted "<key> <etag>\n", ETags unquoted. */
function fluxRevision(objects: { key: string; etag: string }[]): string {
  const lines = [...objects].sort((x, y) => Buffer.compare(Buffer.from(x.key), Buffer.from(y.key))).map((o) => `${o.key} ${o.etag.slice(1, -1)}\n`).join("");
  return `sha256:${createHash("sha256").update(lines).digest("hex")}`;
}

describe("Bucket under pulumi preview and up", () => {
  let s3: S3Server;
  let prog: PulumiProgram;
  const engineLog: string[] = [];
  const downloads = async () => (await s3.requests()).filter((r) => r.operation === "GetObject" && r.key !== ".sourceignore").length;
  const preview = () => prog.stack.preview({ diff: true, onOutput: (o) => engineLog.push(o) });
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });

  before(async () => {
    s3 = await startS3Server({ parent: scratch });
    await s3.createBucket("fleet");
    await s3.put("fleet", "deploy/a.yaml", "a: 1\n");
    await s3.put("fleet", "deploy/b.yaml", "b: 1\n");
    prog = await pulumiProgram("bucket", PROGRAM, {
      config: {
        bucketName: { value: "fleet" },
        endpoint: { value: s3.endpoint },
        auth: { value: JSON.stringify({ accessKey: s3.accessKey, secretKey: s3.secretKey }), secret: true },
      },
    });
  });
  after(async () => {
    await prog?.cleanup();
    await s3?.stop();
  });

  test("up records the artifact at Flux's revision, and the secret key stays out of plain state", async () => {
    const res = await up();
    const revision = fluxRevision(await s3.list("fleet"));
    assert.equal(res.outputs.revision.value, revision);
    assert.equal(res.outputs.referenceRevision.value, revision, "sourceReference carries the artifact");
    assert.match(res.outputs.digest.value, /^sha256:[0-9a-f]{64}$/);
    const store = new ArtifactStore(join(prog.dir, ".state", "cache", "artifacts"));
    assert.ok(await store.has(res.outputs.digest.value), "the program's store holds the artifact");
    const state = await prog.rawState();
    assert.ok(state.includes(revision), "the state was read");
    assert.equal(state.includes(s3.secretKey), false, "the secret key never reaches plain state");
    assert.equal(engineLog.join("").includes(s3.secretKey), false, "nor the engine's output");
  });

  test("preview of an unchanged bucket shows no change and downloads nothing", async () => {
    const before = await downloads();
    const pv = await preview();
    assert.equal(pv.changeSummary.update ?? 0, 0, `no update: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.equal(pv.changeSummary.create ?? 0, 0);
    assert.equal(await downloads(), before, "no object was downloaded");
  });

  test("a new object shows in preview as a new revision; up records it", async () => {
    const old = fluxRevision(await s3.list("fleet"));
    await s3.put("fleet", "deploy/c.yaml", "c: 1\n");
    const revision = fluxRevision(await s3.list("fleet"));
    const pv = await preview();
    assert.equal(pv.changeSummary.update, 1, `the Bucket changes: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.ok(pv.stdout.includes(revision), "preview shows the new revision");
    assert.ok((await prog.rawState()).includes(old), "preview changed no state");

    const res = await up();
    assert.equal(res.outputs.revision.value, revision);
    assert.equal((await prog.rawState()).includes(s3.secretKey), false);
    const again = await preview();
    assert.equal(again.changeSummary.update ?? 0, 0, `no change after up: ${JSON.stringify(again.changeSummary)}`);
  });

  test("wrong credentials fail the preview naming the resource and the fix", async () => {
    await prog.setConfig({ auth: { value: JSON.stringify({ accessKey: s3.accessKey, secretKey: "wrong-secret-key" }), secret: true } });
    try {
      const err = await preview().then(() => undefined, (e: Error) => e);
      assert.ok(err, "preview fails");
      assert.match(err.message, /Bucket "fleet": authentication to http:\/\/127\.0\.0\.1:\d+ failed .*check auth/);
      assert.equal(err.message.includes("wrong-secret-key"), false, "the secret is not echoed");
    } finally {
      await prog.setConfig({ auth: { value: JSON.stringify({ accessKey: s3.accessKey, secretKey: s3.secretKey }), secret: true } });
    }
  });
});
