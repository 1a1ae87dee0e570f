// HelmChart from a Bucket: a chart directory stored in a real S3-compatible server (versitygw) is
// packaged with the real helm; Flux's revisions for both reconcile strategies; another machine rebuilds
// the same digest from the Bucket artifact.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as tar from "tar-stream";
import YAML from "yaml";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planBucket } from "../../src/core/reconcile/bucket";
import { ensureHelmChartArtifact, planHelmChart } from "../../src/core/reconcile/helm-chart";
import type { SourceReference } from "../../src/core/reconcile/source-reference";
import type { BucketSpec } from "../../src/core/source/bucket-types";
import { chartFiles } from "../harness/helm-repo";
import { startS3Server, type S3Server } from "../harness/s3-server";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** valuesOf reads `<chart>/values.yaml` and `<chart>/Chart.yaml` from a stored chart archive. */
async function chartOf(path: string, chart: string): Promise<{ values: Record<string, unknown>; version: string }> {
  const files = new Map<string, string>();
  const ex = tar.extract();
  ex.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      files.set(h.name, Buffer.concat(chunks).toString("utf8"));
      next();
    });
  });
  ex.end(gunzipSync(await readFile(path)));
  await new Promise<void>((resolve, reject) => ex.on("finish", () => resolve()).on("error", reject));
  return { values: YAML.parse(files.get(`${chart}/values.yaml`) ?? "{}"), version: YAML.parse(files.get(`${chart}/Chart.yaml`)!).version };
}

describe("HelmChart from a Bucket", () => {
  let s3: S3Server;
  let storeDir: string;
  const ctx = () => ({ store: new ArtifactStore(storeDir), log: silentLogger });
  const bucket = (): BucketSpec => ({ bucketName: "charts", endpoint: s3.endpoint, insecure: true, auth: { accessKey: s3.accessKey, secretKey: s3.secretKey } });
  const bucketRef = async (): Promise<Extract<SourceReference, { kind: "Bucket" }>> => ({
    kind: "Bucket",
    name: "charts",
    spec: bucket(),
    artifact: (await planBucket("charts", bucket(), undefined, ctx())).artifact,
  });

  before(async () => {
    s3 = await startS3Server({ parent: scratch });
    storeDir = await mkdtemp(join(scratch, "store-"));
    await s3.createBucket("charts");
    const files = chartFiles({ name: "web", version: "1.4.0", values: "color: blue\n", files: { "values-prod.yaml": "color: red\n" } }, "charts/web");
    for (const [key, body] of Object.entries(files)) await s3.put("charts", key, body);
  });
  after(async () => {
    await s3?.stop();
  });

  test("the chart directory is packaged with helm; valuesFiles apply; the revision is the chart version", async () => {
    const sourceRef = await bucketRef();
    assert.match(sourceRef.artifact.revision, /^sha256:[0-9a-f]{64}$/);
    const { artifact, fetched } = await planHelmChart("web", { sourceRef, chart: "./charts/web", valuesFiles: ["values.yaml", "values-prod.yaml"] }, undefined, ctx());
    assert.equal(fetched, true);
    assert.equal(artifact.revision, "1.4.0");
    const chart = await chartOf(ctx().store.path(artifact.digest), "web");
    assert.equal(chart.values.color, "red");
    assert.equal(chart.version, "1.4.0");
  });

  test("reconcileStrategy Revision appends the bucket revision; a new object makes a new chart artifact", async () => {
    const first = await bucketRef();
    const byRevision = await planHelmChart("web", { sourceRef: first, chart: "charts/web", reconcileStrategy: "Revision" }, undefined, ctx());
    const hex = first.artifact.revision.slice("sha256:".length);
    assert.equal(byRevision.artifact.revision, `1.4.0+${hex.slice(0, 12)}`);
    assert.equal((await chartOf(ctx().store.path(byRevision.artifact.digest), "web")).version, `1.4.0+${hex.slice(0, 12)}`);

    await s3.put("charts", "charts/web/templates/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n");
    const second = await bucketRef();
    assert.notEqual(second.artifact.revision, first.artifact.revision);
    const moved = await planHelmChart("web", { sourceRef: second, chart: "charts/web", reconcileStrategy: "Revision" }, { artifact: byRevision.artifact, observedSettings: byRevision.observedSettings }, ctx());
    assert.equal(moved.fetched, true);
    assert.equal(moved.artifact.revision, `1.4.0+${second.artifact.revision.slice("sha256:".length, "sha256:".length + 12)}`);
    // ChartVersion keeps the artifact when only the bucket changed, as Flux does.
    const byVersion = await planHelmChart("web", { sourceRef: first, chart: "charts/web" }, undefined, ctx());
    const kept = await planHelmChart("web", { sourceRef: second, chart: "charts/web" }, { artifact: byVersion.artifact, observedSettings: byVersion.observedSettings }, ctx());
    assert.equal(kept.fetched, false);
    assert.deepEqual(kept.artifact, byVersion.artifact);
  });

  test("another machine rebuilds the same chart digest from the Bucket artifact; a wrong digest is an error", async () => {
    const sourceRef = await bucketRef();
    const spec = { sourceRef, chart: "charts/web", valuesFiles: ["values-prod.yaml"] };
    const { artifact } = await planHelmChart("web", spec, undefined, ctx());
    const elsewhere = { store: new ArtifactStore(await mkdtemp(join(scratch, "store-"))), log: silentLogger };
    assert.equal(await ensureHelmChartArtifact("web", spec, artifact, elsewhere), elsewhere.store.path(artifact.digest));
    const other = { store: new ArtifactStore(await mkdtemp(join(scratch, "store-"))), log: silentLogger };
    await assert.rejects(
      ensureHelmChartArtifact("web", spec, { ...artifact, digest: `sha256:${"0".repeat(64)}` }, other),
      /HelmChart "web": digest mismatch for chart revision 1\.4\.0: state has sha256:0{64}/,
    );
    await assert.rejects(planHelmChart("web", { sourceRef, chart: "charts/none" }, undefined, ctx()), /HelmChart "web": chart path "charts\/none" was not found in the source artifact: check chart/);
  });
});
