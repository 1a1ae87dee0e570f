// OCIRepository against the real Distribution registry: refs, layers, auth, TLS, no-op detection, digest
// verification and unsafe layers. Every artifact is pushed with fluxiac's own push code.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createGzip } from "node:zlib";
import * as tar from "tar-stream";
import { extract } from "../../src/core/artifact/archive";
import { sha256Digest } from "../../src/core/artifact/digest";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { ensureOCIArtifact, planOCIRepository, type OCIRepositoryStatus } from "../../src/core/reconcile/oci-repository";
import { MEDIA_TYPES, pushArtifact, RegistryClient } from "../../src/core/source/oci";
import type { OCIRepositorySpec } from "../../src/core/source/oci-types";
import { startBlackhole, startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const store = new ArtifactStore(join(scratch, "store"));
const ctx = () => ({ store, log: silentLogger });

/** tree writes files into a new directory under scratch. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(scratch, "src-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** contents extracts an artifact from the store and reads the named files. */
async function contents(digest: string, names: string[]): Promise<Record<string, string | null>> {
  const dir = await mkdtemp(join(scratch, "out-"));
  await extract(store.path(digest), dir);
  const out: Record<string, string | null> = {};
  for (const n of names) out[n] = await readFile(join(dir, n), "utf8").catch(() => null);
  return out;
}

/** pushLayers pushes a hand-made manifest with the given layers (for layerSelector and unsafe layers). */
async function pushLayers(reg: OCIRegistry, repository: string, tag: string, layers: { mediaType: string; data: Buffer }[]): Promise<string> {
  const client = new RegistryClient({ host: reg.host, insecure: true });
  try {
    const config = Buffer.from("{}");
    await client.pushBlob(repository, sha256Digest(config), config);
    for (const l of layers) await client.pushBlob(repository, sha256Digest(l.data), l.data);
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.fluxConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256Digest(l.data), size: l.data.length })),
    };
    return await client.putManifest(repository, tag, Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest);
  } finally {
    await client.close();
  }
}

/** tarGz builds a tar.gz from raw entries, including ones a safe packer would never write. */
async function tarGz(entries: { name: string; type?: "file" | "symlink" | "link"; content?: string; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const gz = pack.pipe(createGzip());
  gz.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gz.on("end", resolve));
  for (const e of entries) {
    if (e.type === "symlink" || e.type === "link") pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else pack.entry({ name: e.name, type: "file" }, e.content ?? "");
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe("OCIRepository source", () => {
  let reg: OCIRegistry;
  let d1: string;
  let dLatest: string;
  const spec = (extra: Partial<OCIRepositorySpec> = {}): OCIRepositorySpec => ({ url: reg.url("fleet/app"), insecure: true, ...extra });

  before(async () => {
    reg = await startOCIRegistry({ parent: scratch });
    const v1 = await tree({ "deploy/a.yaml": "a: 1\n", "notes/n.md": "notes\n", "logo.png": "png" });
    d1 = (await pushArtifact({ dir: v1, url: reg.url("fleet/app"), tag: "v1.0.0", insecure: true, source: "https://git.example/fleet", revision: "main@sha1:" + "1".repeat(40) })).digest;
    dLatest = (await pushArtifact({ dir: await tree({ "deploy/a.yaml": "a: latest\n" }), url: reg.url("fleet/app"), tag: "latest", insecure: true })).digest;
  });
  after(() => reg?.stop());

  test("tag (default latest) and digest refs resolve in Flux's revision formats, digest > semver > tag", async () => {
    const cases: [OCIRepositorySpec, string][] = [
      [spec({ ref: { tag: "v1.0.0" } }), `v1.0.0@${d1}`],
      [spec(), `latest@${dLatest}`],
      [spec({ ref: { digest: d1 } }), d1],
      [spec({ ref: { tag: "latest", semver: ">= 1.0.0", digest: d1 } }), d1],
      [spec({ ref: { tag: "latest", semver: "1.x" } }), `v1.0.0@${d1}`],
    ];
    for (const [s, revision] of cases) {
      const { artifact } = await planOCIRepository("app", s, undefined, ctx());
      assert.equal(artifact.revision, revision, JSON.stringify(s.ref));
    }
  });

  test("the artifact holds the layer's files re-packed with the ignore rules, and the manifest annotations", async () => {
    const files = ["deploy/a.yaml", "notes/n.md", "logo.png"];
    const { artifact } = await planOCIRepository("app", spec({ ref: { tag: "v1.0.0" } }), undefined, ctx());
    assert.deepEqual(await contents(artifact.digest, files), { "deploy/a.yaml": "a: 1\n", "notes/n.md": "notes\n", "logo.png": null }, "push packs with the default ignore rules");
    assert.equal(artifact.metadata?.["org.opencontainers.image.source"], "https://git.example/fleet");
    assert.equal(artifact.metadata?.["org.opencontainers.image.revision"], "main@sha1:" + "1".repeat(40));
    assert.match(artifact.metadata?.["org.opencontainers.image.created"] ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const ignored = await planOCIRepository("app", spec({ ref: { tag: "v1.0.0" }, ignore: "notes/" }), undefined, ctx());
    assert.deepEqual(await contents(ignored.artifact.digest, files), { "deploy/a.yaml": "a: 1\n", "notes/n.md": null, "logo.png": null });
    assert.notEqual(ignored.artifact.digest, artifact.digest);
  });

  test("semver picks the highest tag in range after semverFilter, reading _ as +; unchanged is not pulled again", async () => {
    const push = async (tag: string) => (await pushArtifact({ dir: await tree({ "v.yaml": `v: ${tag}\n` }), url: reg.url("fleet/semver"), tag, insecure: true })).digest;
    await push("1.0.0");
    const d11 = await push("1.1.0");
    const dBuild = await push("1.3.0_build.7");
    await push("2.0.0");
    await push("not-a-version");
    const s = (ref: OCIRepositorySpec["ref"], extra: Partial<OCIRepositorySpec> = {}) => spec({ url: reg.url("fleet/semver"), ref, ...extra });
    assert.equal((await planOCIRepository("semver", s({ semver: ">= 1.0.0, < 2.0.0" }), undefined, ctx())).artifact.revision, `1.3.0_build.7@${dBuild}`);
    assert.equal((await planOCIRepository("semver", s({ semver: "1.x", semverFilter: "^1\\.[01]\\." }), undefined, ctx())).artifact.revision, `1.1.0@${d11}`);

    const range = s({ semver: "~1.1" });
    const first = await planOCIRepository("semver", range, undefined, ctx());
    const previous: OCIRepositoryStatus = { artifact: first.artifact, observedUrl: range.url, observedIgnore: range.ignore, observedLayerSelector: range.layerSelector };
    const again = await planOCIRepository("semver", range, previous, ctx());
    assert.equal(again.fetched, false);
    assert.deepEqual(again.artifact, first.artifact);
    assert.equal((await planOCIRepository("semver", { ...range, ignore: "*.md" }, previous, ctx())).fetched, true, "new settings pull again");
    const d12 = await push("1.1.2");
    const moved = await planOCIRepository("semver", range, previous, ctx());
    assert.equal(moved.fetched, true);
    assert.equal(moved.artifact.revision, `1.1.2@${d12}`);
    assert.deepEqual(await contents(moved.artifact.digest, ["v.yaml"]), { "v.yaml": "v: 1.1.2\n" });
  });

  test("layerSelector picks a layer by media type; extract needs tar+gzip, copy stores the blob as it is", async () => {
    const readme = Buffer.from("plain text, not a tarball\n");
    const content = await tarGz([{ name: "deploy/x.yaml", content: "x: 1\n" }]);
    await pushLayers(reg, "fleet/layers", "v1", [
      { mediaType: "text/plain", data: readme },
      { mediaType: MEDIA_TYPES.fluxContent, data: content },
    ]);
    const s = (layerSelector: OCIRepositorySpec["layerSelector"]) => spec({ url: reg.url("fleet/layers"), ref: { tag: "v1" }, layerSelector });
    const extracted = await planOCIRepository("layers", s({ mediaType: MEDIA_TYPES.fluxContent }), undefined, ctx());
    assert.deepEqual(await contents(extracted.artifact.digest, ["deploy/x.yaml"]), { "deploy/x.yaml": "x: 1\n" });
    const copied = await planOCIRepository("layers", s({ mediaType: MEDIA_TYPES.fluxContent, operation: "copy" }), undefined, ctx());
    assert.equal(copied.artifact.digest, sha256Digest(content), "copy keeps the layer's bytes and digest");
    assert.deepEqual(await readFile(store.path(copied.artifact.digest)), content);
    const text = await planOCIRepository("layers", s({ mediaType: "text/plain", operation: "copy" }), undefined, ctx());
    assert.equal(text.artifact.digest, sha256Digest(readme));
    await assert.rejects(planOCIRepository("layers", s(undefined), undefined, ctx()), /OCIRepository "layers": layer sha256:[0-9a-f]{64} has media type "text\/plain", which is not tar\+gzip: set layerSelector.operation to "copy"/);
    await assert.rejects(planOCIRepository("layers", s({ mediaType: "application/x-none" }), undefined, ctx()), /no layer has media type "application\/x-none" .*check layerSelector.mediaType/);
  });

  test("a layer with a ../ entry, an absolute path or a link is rejected", async () => {
    const cases: [string, Parameters<typeof tarGz>[0], RegExp][] = [
      ["dotdot", [{ name: "ok.yaml", content: "a: 1\n" }, { name: "../escape.yaml", content: "evil\n" }], /archive entry "\.\.\/escape.yaml" escapes the artifact root/],
      ["absolute", [{ name: "/tmp/fluxiac-absolute.yaml", content: "evil\n" }], /archive entry "\/tmp\/fluxiac-absolute.yaml" has an absolute path/],
      ["symlink", [{ name: "passwd", type: "symlink", linkname: "/etc/passwd" }], /archive entry "passwd" is a link/],
      ["hardlink", [{ name: "a.yaml", content: "a\n" }, { name: "b.yaml", type: "link", linkname: "a.yaml" }], /archive entry "b.yaml" is a link/],
    ];
    for (const [tag, entries, message] of cases) {
      await pushLayers(reg, "fleet/unsafe", tag, [{ mediaType: MEDIA_TYPES.fluxContent, data: await tarGz(entries) }]);
      const err = await planOCIRepository("unsafe", spec({ url: reg.url("fleet/unsafe"), ref: { tag } }), undefined, ctx()).catch((e: Error) => e);
      assert.ok(err instanceof Error, tag);
      assert.match(err.message, /^OCIRepository "unsafe": layer sha256:[0-9a-f]{64} cannot be extracted/, tag);
      assert.match(err.message, message, tag);
    }
    await assert.rejects(readFile("/tmp/fluxiac-absolute.yaml"), { code: "ENOENT" });
  });

  test("a consumer without the artifact pulls the exact manifest digest again and verifies the digest", async () => {
    const s = spec({ url: reg.url("fleet/moving"), ref: { tag: "stable" } });
    await pushArtifact({ dir: await tree({ "a.yaml": "a: 1\n" }), url: s.url, tag: "stable", insecure: true });
    const { artifact } = await planOCIRepository("moving", s, undefined, ctx());
    await pushArtifact({ dir: await tree({ "a.yaml": "a: 2\n" }), url: s.url, tag: "stable", insecure: true });
    const elsewhere = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const path = await ensureOCIArtifact("moving", s, artifact, { store: elsewhere, log: silentLogger });
    assert.equal(path, elsewhere.path(artifact.digest));
    const other = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const err = await ensureOCIArtifact("moving", { ...s, ignore: "*.yaml" }, artifact, { store: other, log: silentLogger }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /^OCIRepository "moving": digest mismatch for revision stable@sha256:[0-9a-f]{64}: state has sha256:[0-9a-f]{64}, the pulled content is sha256:[0-9a-f]{64}/);
    assert.ok(err.message.includes(artifact.digest));
    assert.match(err.message, /Run `pulumi up` \(or refresh\) to record the new artifact/);
  });

  test("bad input fails naming the resource and the field to fix", async () => {
    const cases: [string, OCIRepositorySpec, RegExp][] = [
      ["unknown tag", spec({ ref: { tag: "nope" } }), /OCIRepository "app": ref.tag "nope" was not found in oci:\/\/127.0.0.1:\d+\/fleet\/app: check ref.tag/],
      ["unknown digest", spec({ ref: { digest: `sha256:${"0".repeat(64)}` } }), /ref.digest "sha256:0{64}" was not found/],
      ["no tag in range", spec({ ref: { semver: ">= 5.0.0" } }), /OCIRepository "app": no tag in oci:\/\/.* matches ref.semver ">= 5.0.0"/],
      ["unknown repository", spec({ url: reg.url("fleet/none"), ref: { semver: "*" } }), /the repository oci:\/\/.*\/fleet\/none does not exist: check url/],
      ["plain HTTP without insecure", spec({ insecure: false }), /OCIRepository "app": 127.0.0.1:\d+ does not speak HTTPS; if the registry serves plain HTTP, set insecure: true/],
      ["a tag in the url", spec({ url: `${reg.url("fleet/app")}:v1` }), /url .* must not contain a tag; set ref.tag instead/],
      ["a bad semver filter", spec({ ref: { semver: "*", semverFilter: "([" } }), /ref.semverFilter "\(\[" is not a regular expression/],
    ];
    for (const provider of ["aws", "azure", "gcp"] as const) {
      cases.push([provider, spec({ provider }), new RegExp(`OCIRepository "app": provider "${provider}" is not supported yet: use provider "generic"`)]);
    }
    for (const [what, s, message] of cases) await assert.rejects(planOCIRepository("app", s, undefined, ctx()), message, what);
  });

  test("an unreachable registry fails within timeout", async () => {
    const hole = await startBlackhole();
    try {
      const started = Date.now();
      const err = await planOCIRepository("app", { url: `oci://${hole.host}/fleet/app`, timeout: "2s" }, undefined, ctx()).catch((e: Error) => e);
      const elapsed = Date.now() - started;
      assert.ok(err instanceof Error);
      assert.match(err.message, /^OCIRepository "app": 127.0.0.1:\d+ did not answer within timeout 2s: check the url, or raise timeout/);
      assert.ok(elapsed >= 1900 && elapsed < 5000, `failed after ${elapsed} ms`);
    } finally {
      await hole.stop();
    }
  });
});

describe("OCIRepository authentication and TLS", () => {
  const registries: OCIRegistry[] = [];
  let src: string;
  const start = async (o: Parameters<typeof startOCIRegistry>[0]) => {
    const r = await startOCIRegistry(o);
    registries.push(r);
    return r;
  };
  before(async () => {
    mkdirSync(join(scratch, "auth"), { recursive: true });
    src = await tree({ "deploy/a.yaml": "a: auth\n" });
  });
  after(async () => {
    for (const r of registries) await r.stop();
  });

  const dockerConfig = (host: string, user: string, password: string) =>
    JSON.stringify({ auths: { "other.example": { auth: Buffer.from("x:y").toString("base64") }, [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } });

  test("htpasswd: username/password and dockerConfigJson work; wrong or missing credentials fail without echoing them", async () => {
    const reg = await start({ parent: scratch, auth: "htpasswd" });
    const auth = { username: reg.username, password: reg.password };
    const { digest } = await pushArtifact({ dir: src, url: reg.url("private/app"), tag: "v1", insecure: true, auth });
    const s = (extra: Partial<OCIRepositorySpec>): OCIRepositorySpec => ({ url: reg.url("private/app"), ref: { tag: "v1" }, insecure: true, ...extra });
    assert.equal((await planOCIRepository("private", s({ auth }), undefined, ctx())).artifact.revision, `v1@${digest}`);
    assert.equal((await planOCIRepository("private", s({ auth: { dockerConfigJson: dockerConfig(reg.host, reg.username, reg.password) } }), undefined, ctx())).artifact.revision, `v1@${digest}`);
    const wrong = await planOCIRepository("private", s({ auth: { username: reg.username, password: "hunter2-wrong" } }), undefined, ctx()).catch((e: Error) => e);
    assert.ok(wrong instanceof Error);
    assert.match(wrong.message, /^OCIRepository "private": authentication to 127.0.0.1:\d+ failed: check the credentials in auth/);
    assert.equal(wrong.message.includes("hunter2"), false);
    await assert.rejects(planOCIRepository("private", s({}), undefined, ctx()), /OCIRepository "private": 127.0.0.1:\d+ requires credentials: set auth/);
    await assert.rejects(
      planOCIRepository("private", s({ auth: { dockerConfigJson: dockerConfig("127.0.0.1:1", reg.username, reg.password) } }), undefined, ctx()),
      /requires credentials: set auth/,
      "a config entry for another host:port does not apply",
    );
  });

  test("token auth: Basic credentials are traded for a bearer token per scope", async () => {
    const reg = await start({ parent: scratch, auth: "token" });
    const auth = { username: reg.username, password: reg.password };
    const { digest } = await pushArtifact({ dir: src, url: reg.url("token/app"), tag: "v1", insecure: true, auth });
    assert.ok(reg.tokensIssued() >= 1, "the push got a token");
    const before = reg.tokensIssued();
    const s: OCIRepositorySpec = { url: reg.url("token/app"), ref: { tag: "v1" }, insecure: true, auth: { dockerConfigJson: dockerConfig(reg.host, reg.username, reg.password) } };
    const plan = await planOCIRepository("token", s, undefined, ctx());
    assert.equal(plan.artifact.revision, `v1@${digest}`);
    assert.ok(reg.tokensIssued() > before, "the pull got its own token");
    const wrong = await planOCIRepository("token", { ...s, auth: { username: reg.username, password: "hunter2-wrong" } }, undefined, ctx()).catch((e: Error) => e);
    assert.ok(wrong instanceof Error);
    assert.match(wrong.message, /^OCIRepository "token": authentication to 127.0.0.1:\d+ failed: the token service rejected the credentials; check auth/);
    assert.equal(wrong.message.includes("hunter2"), false);
  });

  test("TLS: tls.caCert trusts the registry; without it the certificate is refused; insecure is never implied", async () => {
    const reg = await start({ parent: scratch, tls: true, auth: "token" });
    const auth = { username: reg.username, password: reg.password };
    const { digest } = await pushArtifact({ dir: src, url: reg.url("tls/app"), tag: "v1", tls: { caCert: reg.caPem }, auth });
    const s: OCIRepositorySpec = { url: reg.url("tls/app"), ref: { tag: "v1" }, tls: { caCert: reg.caPem }, auth };
    assert.equal((await planOCIRepository("tls", s, undefined, ctx())).artifact.revision, `v1@${digest}`);
    await assert.rejects(planOCIRepository("tls", { ...s, tls: undefined }, undefined, ctx()), /OCIRepository "tls": the TLS certificate of 127.0.0.1:\d+ is not trusted .*: set tls.caCert/);
    await assert.rejects(planOCIRepository("tls", { ...s, insecure: true }, undefined, ctx()), /OCIRepository "tls": 127.0.0.1:\d+ serves HTTPS: unset insecure/);
  });
});
