// HelmChart from an OCI HelmRepository against the real registry (docker-registry), with charts pushed
// by the real `helm push`: tags as versions (`_` for `+`), the chart layer, auth, TLS and bad input.
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
import { ensureHelmChartArtifact, planHelmChart } from "../../src/core/reconcile/helm-chart";
import { planHelmRepository } from "../../src/core/reconcile/helm-repository";
import type { SourceReference } from "../../src/core/reconcile/source-reference";
import type { HelmChartSpec, HelmRepositorySpec } from "../../src/core/source/helm-types";
import { pushChart } from "../harness/helm-repo";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

type HelmRepoRef = Extract<SourceReference, { kind: "HelmRepository" }>;

/** chartYaml reads Chart.yaml and values.yaml out of a chart archive. */
async function chartContent(file: string): Promise<{ chart: { name: string; version: string }; values: unknown }> {
  const files = new Map<string, string>();
  const ex = tar.extract();
  ex.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => (files.set(h.name, Buffer.concat(chunks).toString("utf8")), next()));
  });
  ex.end(gunzipSync(await readFile(file)));
  await new Promise<void>((resolve, reject) => ex.on("finish", () => resolve()).on("error", reject));
  const at = (name: string) => [...files].find(([k]) => k.endsWith(`/${name}`))?.[1] ?? "";
  return { chart: YAML.parse(at("Chart.yaml")), values: YAML.parse(at("values.yaml")) };
}

describe("HelmChart from an OCI HelmRepository", () => {
  let open: OCIRegistry; // plain HTTP, anonymous
  let locked: OCIRegistry; // HTTPS + htpasswd
  let storeDir: string;
  const ctx = () => ({ store: new ArtifactStore(storeDir), log: silentLogger });
  const openRepo = (): HelmRepositorySpec => ({ url: open.url("charts"), insecure: true });
  const lockedRepo = (extra: Partial<HelmRepositorySpec> = {}): HelmRepositorySpec => ({
    url: locked.url("charts"),
    auth: { username: locked.username, password: locked.password },
    tls: { caCert: locked.caPem },
    ...extra,
  });
  const ref = async (spec: HelmRepositorySpec, name = "registry"): Promise<HelmRepoRef> => {
    const planned = await planHelmRepository(name, spec, undefined, ctx());
    assert.equal(planned.artifact, undefined, "an OCI HelmRepository has no artifact");
    return { kind: "HelmRepository", name, spec, artifact: undefined };
  };

  before(async () => {
    [open, locked] = await Promise.all([startOCIRegistry({ parent: scratch }), startOCIRegistry({ parent: scratch, tls: true, auth: "htpasswd" })]);
    storeDir = await mkdtemp(join(scratch, "store-"));
    const files = { "values-prod.yaml": "color: red\n" };
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1", "1.2.0+build.1"]) await pushChart({ name: "app", version, files }, { url: open.url("charts"), insecure: true }, scratch);
    await pushChart({ name: "app", version: "0.1.0" }, { url: locked.url("charts"), insecure: false, caPem: locked.caPem, username: locked.username, password: locked.password }, scratch);
  });
  after(async () => {
    await Promise.all([open?.stop(), locked?.stop()]);
  });

  test("versions come from tags (`_` is `+`): exact, range, `*` skips prereleases; the chart layer is the artifact", async () => {
    const repo = await ref(openRepo());
    const cases: [string | undefined, string][] = [[undefined, "1.2.0+build.1"], ["1.0.0", "1.0.0"], ["~1.1", "1.1.0"], [">= 1.0, < 1.2", "1.1.0"], [">=2.0.0-0", "2.0.0-rc.1"]];
    for (const [version, revision] of cases) {
      const { artifact } = await planHelmChart("app", { sourceRef: repo, chart: "app", version }, undefined, ctx());
      assert.equal(artifact.revision, revision, String(version));
      assert.equal((await chartContent(ctx().store.path(artifact.digest))).chart.version, revision);
    }
  });

  test("an unchanged version is not pulled again; a newly pushed matching version is", async () => {
    const repo = await ref(openRepo());
    const spec: HelmChartSpec = { sourceRef: repo, chart: "app", version: "1.x" };
    const first = await planHelmChart("app", spec, undefined, ctx());
    const same = await planHelmChart("app", spec, first, ctx());
    assert.equal(same.fetched, false);
    assert.deepEqual(same.artifact, first.artifact);
    await pushChart({ name: "app", version: "1.3.0" }, { url: open.url("charts"), insecure: true }, scratch);
    const next = await planHelmChart("app", spec, first, ctx());
    assert.equal(next.fetched, true);
    assert.equal(next.artifact.revision, "1.3.0");
  });

  test("valuesFiles apply to OCI charts too, and another store rebuilds the same digest", async () => {
    const spec: HelmChartSpec = { sourceRef: await ref(openRepo()), chart: "app", version: "1.0.0", valuesFiles: ["values.yaml", "values-prod.yaml"] };
    const { artifact } = await planHelmChart("app", spec, undefined, ctx());
    assert.match(artifact.revision, /^1\.0\.0\+[0-9a-f]{12}$/);
    assert.deepEqual((await chartContent(ctx().store.path(artifact.digest))).values, { color: "red" });
    const elsewhere = { store: new ArtifactStore(await mkdtemp(join(scratch, "store-"))), log: silentLogger };
    assert.equal(await ensureHelmChartArtifact("app", spec, artifact, elsewhere), elsewhere.store.path(artifact.digest));
  });

  test("a registry with TLS and basic auth: the right credentials and CA work, wrong ones fail naming the fix", async () => {
    const { artifact } = await planHelmChart("app", { sourceRef: await ref(lockedRepo()), chart: "app" }, undefined, ctx());
    assert.equal(artifact.revision, "0.1.0");
    const wrong = await planHelmChart("app", { sourceRef: await ref(lockedRepo({ auth: { username: locked.username, password: "hunter2" } })), chart: "app" }, undefined, ctx()).catch((e: Error) => e);
    assert.ok(wrong instanceof Error);
    assert.match(wrong.message, /^HelmChart "app": authentication to 127.0.0.1:\d+ failed: check the credentials in auth/);
    assert.equal(wrong.message.includes("hunter2"), false);
    await assert.rejects(planHelmChart("app", { sourceRef: await ref(lockedRepo({ tls: undefined })), chart: "app" }, undefined, ctx()), /HelmChart "app": the TLS certificate of 127.0.0.1:\d+ is not trusted .*: set tls.caCert/);
  });

  test("unknown charts and unmatched versions fail naming the resource and the field", async () => {
    const repo = await ref(openRepo());
    await assert.rejects(planHelmChart("c", { sourceRef: repo, chart: "nope" }, undefined, ctx()), /HelmChart "c": chart "nope" is not in oci:\/\/127.0.0.1:\d+\/charts .*check chart/);
    await assert.rejects(planHelmChart("c", { sourceRef: repo, chart: "app", version: ">= 9.0" }, undefined, ctx()), /HelmChart "c": HelmRepository "registry": no version of chart "app" matches version ">= 9.0"/);
    await assert.rejects(planHelmRepository("registry", { url: "oci://127.0.0.1:1" }, undefined, ctx()), /HelmRepository "registry": .*names no repository/);
  });
});
