// HelmRepository and HelmChart against real chart repositories (charts made by the real helm), a real
// Git server and a real `helm package`: every field, Flux's revisions, no-op detection and bad input.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import YAML from "yaml";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planGitRepository } from "../../src/core/reconcile/git-repository";
import { ensureHelmChartArtifact, planHelmChart } from "../../src/core/reconcile/helm-chart";
import { ensureHelmRepositoryArtifact, planHelmRepository } from "../../src/core/reconcile/helm-repository";
import { ensureSourceArtifact, type SourceReference } from "../../src/core/reconcile/source-reference";
import type { HelmChartSpec, HelmRepositorySpec } from "../../src/core/source/helm-types";
import { startGitServer, type GitServer } from "../harness/git-server";
import { chartFiles, startHelmRepo, type HelmRepoServer } from "../harness/helm-repo";
import { freePort, makeTestCa, type TestCa } from "../harness/pki";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ctxWith = (dir: string) => ({ store: new ArtifactStore(dir), log: silentLogger });
/** EntryHeader is what tar-stream takes for a new entry. */
type EntryHeader = Partial<tar.Header> & Pick<tar.Header, "name">;
type HelmRepoRef = Extract<SourceReference, { kind: "HelmRepository" }>;

/** tarEntries lists a chart archive's entries and file contents. */
async function tarEntries(data: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = tar.extract();
  ex.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      out.set(h.name, Buffer.concat(chunks).toString("utf8"));
      next();
    });
  });
  ex.end(gunzipSync(data));
  await new Promise<void>((resolve, reject) => ex.on("finish", () => resolve()).on("error", reject));
  return out;
}

/** craftChart builds a chart .tgz with one extra entry that tries to escape the chart. */
async function craftChart(bad: EntryHeader): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  pack.entry({ name: "evil/Chart.yaml" }, "apiVersion: v2\nname: evil\nversion: 1.0.0\n");
  if (bad.type === "symlink") pack.entry(bad);
  else pack.entry(bad, "pwned\n");
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** hangingServer accepts connections and never answers, to test timeouts. */
async function hangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/charts`,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}

describe("HelmRepository and HelmChart sources", () => {
  let ca: TestCa;
  let plain: HelmRepoServer; // HTTP, no auth
  let secured: HelmRepoServer; // HTTPS + basic auth, one chart on a second host
  let git: GitServer;
  let storeDir: string;
  const ctx = () => ctxWith(storeDir);

  before(async () => {
    ca = await makeTestCa(await mkdtemp(join(scratch, "pki-")));
    const serving = await ca.issue("charts", "server");
    [plain, secured, git] = await Promise.all([
      startHelmRepo({ dir: scratch }),
      startHelmRepo({ dir: scratch, auth: true, tls: serving }),
      startGitServer(),
    ]);
    storeDir = await mkdtemp(join(scratch, "store-"));
    const prod = { "values-prod.yaml": "color: red\nreplicas: 3\n", "values-extra.yaml": "extra:\n  on: true\n" };
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) await plain.addChart({ name: "app", version, values: "color: blue\nreplicas: 1\n", files: prod });
    await secured.addChart({ name: "app", version: "0.1.0" });
    await secured.addChart({ name: "far", version: "0.2.0" }, { cdn: true });
  });
  after(async () => {
    await Promise.all([plain?.stop(), secured?.stop(), git?.stop()]);
  });

  const securedSpec = (extra: Partial<HelmRepositorySpec> = {}): HelmRepositorySpec => ({
    url: secured.url,
    auth: { username: secured.username, password: secured.password },
    tls: { caCert: ca.caPem },
    ...extra,
  });
  /** repoRef plans a HelmRepository and returns the reference a HelmChart receives. */
  const repoRef = async (spec: HelmRepositorySpec, name = "repo"): Promise<HelmRepoRef> => {
    const { artifact } = await planHelmRepository(name, spec, undefined, ctx());
    return { kind: "HelmRepository", name, spec, artifact };
  };

  test("the index revision is the sha256 of index.yaml; the artifact is the normalised index", async () => {
    const served = Buffer.from(await (await fetch(`${plain.url}/index.yaml`)).arrayBuffer());
    const { artifact, fetched } = await planHelmRepository("repo", { url: plain.url }, undefined, ctx());
    assert.equal(fetched, true);
    assert.equal(artifact?.revision, `sha256:${createHash("sha256").update(served).digest("hex")}`);
    const index = JSON.parse(await readFile(ctx().store.path(artifact!.digest), "utf8"));
    assert.deepEqual(index.entries.app.map((e: { version: string }) => e.version), ["2.0.0-rc.1", "1.1.0", "1.0.0"]);
    assert.equal(await ensureSourceArtifact({ kind: "HelmRepository", name: "repo", spec: { url: plain.url }, artifact }, ctx()), ctx().store.path(artifact!.digest));
  });

  test("an unchanged index reuses the artifact; a new chart version is a new revision", async () => {
    const spec = { url: plain.url };
    const first = await planHelmRepository("repo", spec, undefined, ctx());
    const prev = { artifact: first.artifact, observedUrl: spec.url };
    const again = await planHelmRepository("repo", spec, prev, ctx());
    assert.equal(again.fetched, false);
    assert.deepEqual(again.artifact, first.artifact);
    const elsewhere = ctxWith(await mkdtemp(join(scratch, "store-")));
    assert.equal(await ensureHelmRepositoryArtifact("repo", spec, first.artifact, elsewhere), elsewhere.store.path(first.artifact!.digest), "another store fetches the same index");
    await plain.addChart({ name: "side", version: "0.0.1" });
    const moved = await planHelmRepository("repo", spec, prev, ctx());
    assert.equal(moved.fetched, true);
    assert.notEqual(moved.artifact?.revision, first.artifact?.revision);
    await assert.rejects(
      ensureHelmRepositoryArtifact("repo", spec, first.artifact, ctxWith(await mkdtemp(join(scratch, "store-")))),
      new RegExp(`HelmRepository "repo": the repository now serves index revision ${moved.artifact!.revision}, state has ${first.artifact!.revision}`),
    );
  });

  test("https with tls.caCert and basic auth; the wrong CA, wrong or missing credentials fail naming the fix", async () => {
    const { artifact } = await planHelmRepository("secure", securedSpec(), undefined, ctx());
    assert.match(artifact!.revision, /^sha256:[0-9a-f]{64}$/);
    await assert.rejects(planHelmRepository("secure", securedSpec({ tls: undefined }), undefined, ctx()), /HelmRepository "secure": fetching index.yaml from https:\/\/127.0.0.1:\d+\/charts\/index.yaml failed: TLS verification failed .*set tls.caCert/);
    const err = await planHelmRepository("secure", securedSpec({ auth: { username: secured.username, password: "hunter2" } }), undefined, ctx()).catch((e: Error) => e);
    assert.match(String(err), /HelmRepository "secure": authentication failed fetching index.yaml from .* \(HTTP 401\): check the credentials in auth/);
    assert.equal(String(err).includes("hunter2"), false);
    await assert.rejects(planHelmRepository("secure", securedSpec({ auth: undefined }), undefined, ctx()), /HTTP 401\): set auth to the repository's credentials/);
  });

  test("a repository that requires a client certificate gets tls.cert and tls.key", async () => {
    const mtls = await startHelmRepo({ dir: scratch, tls: await ca.issue("mtls", "server"), clientCa: ca.caPem });
    try {
      await mtls.addChart({ name: "app", version: "0.0.1" });
      const client = await ca.issue("client", "client");
      const spec = { url: mtls.url, tls: { caCert: ca.caPem, cert: client.certPem, key: client.keyPem } };
      const ref = await repoRef(spec, "mtls");
      assert.match(ref.artifact!.revision, /^sha256:/);
      assert.equal((await planHelmChart("app", { sourceRef: ref, chart: "app" }, undefined, ctx())).artifact.revision, "0.0.1");
      await assert.rejects(planHelmRepository("mtls", { url: mtls.url, tls: { caCert: ca.caPem } }, undefined, ctx()), /HelmRepository "mtls": fetching index.yaml from .* failed/);
    } finally {
      await mtls.stop();
    }
  });

  test("an unreachable repository fails within timeout; a refused port fails at once", async () => {
    const hang = await hangingServer();
    try {
      const started = Date.now();
      await assert.rejects(planHelmRepository("slow", { url: hang.url, timeout: "1s" }, undefined, ctx()), /HelmRepository "slow": fetching index.yaml from .* timed out after 1s: check url, or raise timeout/);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      await hang.close();
    }
    await assert.rejects(planHelmRepository("gone", { url: `http://127.0.0.1:${await freePort()}/charts` }, undefined, ctx()), /HelmRepository "gone": .* the server is unreachable \(ECONNREFUSED\): check url/);
    await assert.rejects(planHelmRepository("bad", { url: `${plain.url}/nothing-here` }, undefined, ctx()), /HTTP 404 \(not found\): check url/);
    await assert.rejects(planHelmRepository("bad", { url: "ftp://x", timeout: "soon" }, undefined, ctx()), /HelmRepository "bad": url must start with https:\/\/ .*; timeout: "soon" is not a duration/);
  });

  test("an index over 50 MiB is refused; an index without apiVersion is not a repository", async () => {
    const repo = await startHelmRepo({ dir: scratch });
    try {
      await repo.setIndex(Buffer.alloc((50 << 20) + 1, " "));
      await assert.rejects(planHelmRepository("huge", { url: repo.url }, undefined, ctx()), /HelmRepository "huge": index.yaml from .* is larger than the 50 MiB limit/);
      await repo.setIndex("entries: {}\n");
      await assert.rejects(planHelmRepository("huge", { url: repo.url }, undefined, ctx()), /HelmRepository "huge": index.yaml has no apiVersion: it is not a Helm repository index .*check url/);
    } finally {
      await repo.stop();
    }
  });

  test("type oci has no artifact and fetches nothing, as in Flux", async () => {
    const before = plain.requests.length;
    assert.deepEqual(await planHelmRepository("oci", { url: "oci://127.0.0.1:1/charts" }, undefined, ctx()), { fetched: false });
    assert.deepEqual(await planHelmRepository("oci", { url: "oci://127.0.0.1:1/charts", type: "oci" }, undefined, ctx()), { fetched: false });
    assert.equal(plain.requests.length, before);
    await assert.rejects(ensureHelmRepositoryArtifact("oci", { url: "oci://127.0.0.1:1/charts" }, undefined, ctx()), /HelmRepository "oci": no index artifact: type oci has no artifact: charts are pulled from the registry itself/);
  });

  test("chart versions: exact, range, `*` skips prereleases; the artifact is the served chart", async () => {
    const ref = await repoRef({ url: plain.url });
    const cases: [string | undefined, string][] = [[undefined, "1.1.0"], ["*", "1.1.0"], ["1.0.0", "1.0.0"], ["~1.0", "1.0.0"], [">= 1.0, < 1.1", "1.0.0"], [">=2.0.0-0", "2.0.0-rc.1"]];
    for (const [version, revision] of cases) {
      const { artifact, fetched } = await planHelmChart("app", { sourceRef: ref, chart: "app", version }, undefined, ctx());
      assert.equal(artifact.revision, revision, String(version));
      assert.equal(fetched, true);
      const served = Buffer.from(await (await fetch(`${plain.url}/app-${revision}.tgz`)).arrayBuffer());
      assert.equal(artifact.digest, `sha256:${createHash("sha256").update(served).digest("hex")}`);
    }
  });

  test("an unchanged chart version is not downloaded again; a new version matching the range is", async () => {
    const spec = { url: plain.url };
    const ref = await repoRef(spec);
    const chart: HelmChartSpec = { sourceRef: ref, chart: "app", version: ">= 1.0.0, < 2.0.0" };
    const first = await planHelmChart("app", chart, undefined, ctx());
    const downloads = () => plain.requests.filter((r) => r.path.endsWith(".tgz")).length;
    const before = downloads();
    const same = await planHelmChart("app", chart, { artifact: first.artifact, observedSettings: first.observedSettings }, ctx());
    assert.equal(same.fetched, false);
    assert.deepEqual(same.artifact, first.artifact);
    assert.equal(downloads(), before);
    await plain.addChart({ name: "app", version: "1.5.0" });
    const next = await planHelmChart("app", { ...chart, sourceRef: await repoRef(spec) }, { artifact: first.artifact, observedSettings: first.observedSettings }, ctx());
    assert.equal(next.fetched, true);
    assert.equal(next.artifact.revision, "1.5.0");
    const other = await planHelmChart("app", { ...chart, valuesFiles: ["values.yaml"] }, { artifact: first.artifact, observedSettings: first.observedSettings }, ctx());
    assert.equal(other.fetched, true, "new settings build again");
  });

  test("valuesFiles are merged in order and replace values.yaml; the revision gets the merged values' digest", async () => {
    const ref = await repoRef({ url: plain.url });
    const { artifact } = await planHelmChart("app", { sourceRef: ref, chart: "app", version: "1.1.0", valuesFiles: ["values.yaml", "values-prod.yaml", "values-extra.yaml"] }, undefined, ctx());
    const entries = await tarEntries(await readFile(ctx().store.path(artifact.digest)));
    const values = YAML.parse(entries.get("app/values.yaml")!);
    assert.deepEqual(values, { color: "red", replicas: 3, extra: { on: true } });
    const digest = createHash("sha256").update(entries.get("app/values.yaml")!).digest("hex").slice(0, 12);
    assert.equal(artifact.revision, `1.1.0+${digest}`);
    assert.equal(YAML.parse(entries.get("app/Chart.yaml")!).version, `1.1.0+${digest}`);
    // Flux's builder: values.yaml counts only when listed.
    const only = await planHelmChart("app", { sourceRef: ref, chart: "app", version: "1.1.0", valuesFiles: ["values-extra.yaml"] }, undefined, ctx());
    assert.deepEqual(YAML.parse((await tarEntries(await readFile(ctx().store.path(only.artifact.digest)))).get("app/values.yaml")!), { extra: { on: true } });
    // The same inputs package to the same bytes, on any machine.
    const elsewhere = ctxWith(await mkdtemp(join(scratch, "store-")));
    const spec: HelmChartSpec = { sourceRef: ref, chart: "app", version: "1.1.0", valuesFiles: ["values.yaml", "values-prod.yaml", "values-extra.yaml"] };
    assert.equal(await ensureHelmChartArtifact("app", spec, artifact, elsewhere), elsewhere.store.path(artifact.digest));
  });

  test("a missing values file fails naming it and ignoreMissingValuesFiles; with it, the file is skipped", async () => {
    const ref = await repoRef({ url: plain.url });
    const spec: HelmChartSpec = { sourceRef: ref, chart: "app", version: "1.1.0", valuesFiles: ["values-prod.yaml", "values-staging.yaml"] };
    await assert.rejects(planHelmChart("app", spec, undefined, ctx()), /HelmChart "app": values file "values-staging.yaml" was not found in the chart: fix valuesFiles, or set ignoreMissingValuesFiles: true/);
    const { artifact } = await planHelmChart("app", { ...spec, ignoreMissingValuesFiles: true }, undefined, ctx());
    const values = YAML.parse((await tarEntries(await readFile(ctx().store.path(artifact.digest)))).get("app/values.yaml")!);
    assert.deepEqual(values, { color: "red", replicas: 3 });
  });

  test("passCredentials: credentials reach a chart on another host only when true (Helm's rule)", async () => {
    const without = await repoRef(securedSpec());
    const seen = secured.requests.length;
    await assert.rejects(planHelmChart("far", { sourceRef: without, chart: "far" }, undefined, ctx()), /HelmChart "far": authentication failed fetching chart "far" 0.2.0 of HelmRepository "repo" .* on another host than the repository; set passCredentials: true/);
    const cdnRequests = secured.requests.slice(seen).filter((r) => r.server === "cdn");
    assert.ok(cdnRequests.length > 0);
    assert.ok(cdnRequests.every((r) => !r.authorized), "no Authorization header went to the other host");
    const withCreds = await repoRef(securedSpec({ passCredentials: true }));
    const { artifact } = await planHelmChart("far", { sourceRef: withCreds, chart: "far" }, undefined, ctx());
    assert.equal(artifact.revision, "0.2.0");
    assert.ok(secured.requests.filter((r) => r.server === "cdn").some((r) => r.authorized));
    // The repository's own host always gets them.
    assert.equal((await planHelmChart("app", { sourceRef: without, chart: "app" }, undefined, ctx())).artifact.revision, "0.1.0");
  });

  test("unknown charts, unmatched versions and unreachable charts fail naming the resource", async () => {
    const ref = await repoRef({ url: plain.url });
    await assert.rejects(planHelmChart("c", { sourceRef: ref, chart: "nope" }, undefined, ctx()), /HelmChart "c": HelmRepository "repo": chart "nope" is not in the repository index: check chart/);
    await assert.rejects(planHelmChart("c", { sourceRef: ref, chart: "app", version: ">= 9.0" }, undefined, ctx()), /HelmChart "c": HelmRepository "repo": no version of chart "app" matches version ">= 9.0"/);
    await assert.rejects(planHelmChart("c", { sourceRef: ref, chart: "app", version: "latest" }, undefined, ctx()), /version "latest" is not a semver constraint/);
    await assert.rejects(planHelmChart("c", { sourceRef: { ...ref, kind: "OCIRepository" } as never, chart: "app" }, undefined, ctx()), /HelmChart "c": sourceRef must be a HelmRepository, GitRepository or Bucket, not OCIRepository/);
  });

  test("chart tarballs with `..`, absolute paths or links are rejected; a wrong index digest is an error", async () => {
    const cases: [string, EntryHeader][] = [
      ["1.0.1", { name: "evil/../../escape.txt" }],
      ["1.0.2", { name: "/etc/evil.txt" }],
      ["1.0.3", { name: "evil/link", type: "symlink", linkname: "/etc/passwd" }],
    ];
    for (const [version, bad] of cases) await plain.addRawChart("evil", version, await craftChart(bad));
    const ref = await repoRef({ url: plain.url });
    for (const [version, bad] of cases) {
      await assert.rejects(planHelmChart("evil", { sourceRef: ref, chart: "evil", version }, undefined, ctx()), /HelmChart "evil": chart "evil" 1.0.\d is rejected: archive entry .* (escapes the artifact root|has an absolute path|is a link)/, bad.name);
    }
    const good = await craftChart({ name: "evil/values.yaml" });
    await plain.addRawChart("liar", "1.0.0", good, { digest: "0".repeat(64) });
    await assert.rejects(
      planHelmChart("liar", { sourceRef: await repoRef({ url: plain.url }), chart: "liar" }, undefined, ctx()),
      new RegExp(`HelmChart "liar": chart "liar" 1.0.0 has digest sha256:${createHash("sha256").update(good).digest("hex")}, but the index says sha256:0{64}`),
    );
  });

  test("charts from a GitRepository: packaged with helm, Flux's revisions for both reconcile strategies", async () => {
    const repo = await git.createRepo("charts");
    const files = { ...chartFiles({ name: "podinfo", version: "0.3.0", files: { "values-prod.yaml": "color: green\n" } }, "charts/podinfo"), "README.md": "charts\n" };
    await repo.commit(files);
    const gitSpec = { url: repo.fileUrl, ref: { branch: "main" } };
    const gitRef = async () => ({ kind: "GitRepository" as const, name: "charts", spec: gitSpec, artifact: (await planGitRepository("charts", gitSpec, undefined, ctx())).artifact });
    const ref1 = await gitRef();
    const byVersion = await planHelmChart("podinfo", { sourceRef: ref1, chart: "./charts/podinfo", valuesFiles: ["values.yaml", "values-prod.yaml"] }, undefined, ctx());
    assert.equal(byVersion.artifact.revision, "0.3.0");
    const entries = await tarEntries(await readFile(ctx().store.path(byVersion.artifact.digest)));
    assert.equal(YAML.parse(entries.get("podinfo/values.yaml")!).color, "green");
    assert.ok(entries.has("podinfo/templates/configmap.yaml"));
    const commit1 = ref1.artifact.revision.split("sha1:")[1];
    const byRevision = await planHelmChart("podinfo", { sourceRef: ref1, chart: "charts/podinfo", reconcileStrategy: "Revision" }, undefined, ctx());
    assert.equal(byRevision.artifact.revision, `0.3.0+${commit1.slice(0, 12)}`);
    assert.equal(YAML.parse((await tarEntries(await readFile(ctx().store.path(byRevision.artifact.digest)))).get("podinfo/Chart.yaml")!).version, `0.3.0+${commit1.slice(0, 12)}`);

    // A new commit without a version bump: ChartVersion keeps the artifact, Revision makes a new one.
    await repo.commit({ "charts/podinfo/templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n" });
    const ref2 = await gitRef();
    const keep = await planHelmChart("podinfo", { sourceRef: ref2, chart: "./charts/podinfo", valuesFiles: ["values.yaml", "values-prod.yaml"] }, { artifact: byVersion.artifact, observedSettings: byVersion.observedSettings }, ctx());
    assert.equal(keep.fetched, false);
    assert.deepEqual(keep.artifact, byVersion.artifact);
    const moved = await planHelmChart("podinfo", { sourceRef: ref2, chart: "charts/podinfo", reconcileStrategy: "Revision" }, { artifact: byRevision.artifact, observedSettings: byRevision.observedSettings }, ctx());
    assert.equal(moved.fetched, true);
    assert.equal(moved.artifact.revision, `0.3.0+${ref2.artifact.revision.split("sha1:")[1].slice(0, 12)}`);

    // Packaging is reproducible: another machine rebuilds the same digest from the Git artifact.
    const elsewhere = ctxWith(await mkdtemp(join(scratch, "store-")));
    const movedSpec: HelmChartSpec = { sourceRef: ref2, chart: "charts/podinfo", reconcileStrategy: "Revision" };
    await assert.rejects(ensureHelmChartArtifact("podinfo", movedSpec, { ...moved.artifact, digest: `sha256:${"0".repeat(64)}` }, elsewhere), new RegExp(`HelmChart "podinfo": digest mismatch for chart revision ${moved.artifact.revision.replace("+", "\\+")}: state has sha256:0{64}, the rebuilt chart .* is ${moved.artifact.digest}`));
    assert.equal(await ensureSourceArtifact({ kind: "HelmChart", name: "podinfo", spec: movedSpec, artifact: moved.artifact }, elsewhere), elsewhere.store.path(moved.artifact.digest));

    // Bad chart paths.
    await assert.rejects(planHelmChart("podinfo", { sourceRef: ref2, chart: "../outside" }, undefined, ctx()), /HelmChart "podinfo": chart "..\/outside" must be a relative path inside the source artifact/);
    await assert.rejects(planHelmChart("podinfo", { sourceRef: ref2, chart: "/charts/podinfo" }, undefined, ctx()), /must be a relative path inside the source artifact/);
    await assert.rejects(planHelmChart("podinfo", { sourceRef: ref2, chart: "charts/none" }, undefined, ctx()), /HelmChart "podinfo": chart path "charts\/none" was not found in the source artifact: check chart/);
  });

  test("a packaged chart (.tgz) in a GitRepository is checked and used as it is, or packaged again for settings", async () => {
    const served = Buffer.from(await (await fetch(`${plain.url}/app-1.0.0.tgz`)).arrayBuffer());
    const repo = await git.createRepo("packaged");
    await repo.commit({ "release/app-1.0.0.tgz": served, "release/evil.tgz": await craftChart({ name: "evil/../../x" }) });
    const spec = { url: repo.fileUrl, ref: { branch: "main" } };
    const sourceRef = { kind: "GitRepository" as const, name: "packaged", spec, artifact: (await planGitRepository("packaged", spec, undefined, ctx())).artifact };
    const asIs = await planHelmChart("app", { sourceRef, chart: "release/app-1.0.0.tgz" }, undefined, ctx());
    assert.equal(asIs.artifact.revision, "1.0.0");
    const withValues = await planHelmChart("app", { sourceRef, chart: "release/app-1.0.0.tgz", valuesFiles: ["values-prod.yaml"] }, undefined, ctx());
    assert.equal(withValues.artifact.revision, "1.0.0");
    assert.deepEqual(YAML.parse((await tarEntries(await readFile(ctx().store.path(withValues.artifact.digest)))).get("app/values.yaml")!), { color: "red", replicas: 3 });
    await assert.rejects(planHelmChart("evil", { sourceRef, chart: "release/evil.tgz" }, undefined, ctx()), /HelmChart "evil": chart "release\/evil.tgz" is neither a chart directory nor a usable chart archive: archive entry "evil\/..\/..\/x" escapes the artifact root/);
  });

  test("chart dependencies: file:// ones are built with helm; remote ones must be vendored", async () => {
    const repo = await git.createRepo("deps");
    const withDeps = (repository: string) => ({
      ...chartFiles({ name: "lib", version: "1.0.0" }, "charts/lib"),
      ...chartFiles({ name: "umbrella", version: "2.0.0" }, "charts/umbrella"),
      "charts/umbrella/Chart.yaml": `apiVersion: v2\nname: umbrella\nversion: 2.0.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n    repository: ${repository}\n`,
    });
    await repo.commit(withDeps("file://../lib"));
    const spec = { url: repo.fileUrl, ref: { branch: "main" } };
    const ref = async () => ({ kind: "GitRepository" as const, name: "deps", spec, artifact: (await planGitRepository("deps", spec, undefined, ctx())).artifact });
    const { artifact } = await planHelmChart("umbrella", { sourceRef: await ref(), chart: "charts/umbrella" }, undefined, ctx());
    const entries = await tarEntries(await readFile(ctx().store.path(artifact.digest)));
    assert.ok([...entries.keys()].some((k) => k.startsWith("umbrella/charts/lib")), [...entries.keys()].join(", "));
    await repo.commit(withDeps("https://charts.invalid/stable"));
    await assert.rejects(planHelmChart("umbrella", { sourceRef: await ref(), chart: "charts/umbrella" }, undefined, ctx()), /HelmChart "umbrella": packaging the chart failed: dependency "lib" from "https:\/\/charts.invalid\/stable" is not in charts\/ and only file:\/\/ dependencies are built/);
  });
});
