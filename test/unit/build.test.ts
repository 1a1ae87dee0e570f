// Pure build steps: overlay options written into kustomization files, confinement rules, the decrypt
// opt-out, and commonMetadata.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { applyOverlay } from "../../src/core/build/overlay";
import { confineBuild, isRemote } from "../../src/core/build/confine";
import { decryptObjects, isEncryptedSecret, loadKeys } from "../../src/core/build/decrypt";
import type { ObjectApi } from "../../src/core/kube/client";
import { withCommonMetadata } from "../../src/core/build/post-build";
import type { KubeObject } from "../../src/core/build/kustomize";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-build-unit-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** tree writes files (path -> content) into a new directory under scratch and returns it. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, "tree-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe("applyOverlay", () => {
  test("sets namespace, prefix and suffix, appends patches, merges images by name and keeps the file's other fields", async () => {
    const dir = tree({
      "kustomization.yaml": "# keep me\nresources:\n- a.yaml\nnamespace: old\nimages:\n- name: nginx\n  newTag: \"1.0\"\n- name: redis\n  newTag: \"7\"\npatches:\n- path: p.yaml\n",
    });
    await applyOverlay(dir, {
      targetNamespace: "new",
      namePrefix: "p-",
      nameSuffix: "-s",
      images: [{ name: "nginx", digest: "sha256:abc" }, { name: "busybox", newName: "mirror/busybox" }],
      patches: [{ patch: "[]", target: { kind: "Deployment", labelSelector: "app=web" } }],
    });
    const text = readFileSync(join(dir, "kustomization.yaml"), "utf8");
    assert.match(text, /# keep me/);
    assert.deepEqual(parse(text), {
      resources: ["a.yaml"],
      namespace: "new",
      images: [{ name: "nginx", digest: "sha256:abc" }, { name: "redis", newTag: "7" }, { name: "busybox", newName: "mirror/busybox" }],
      patches: [{ path: "p.yaml" }, { patch: "[]", target: { kind: "Deployment", labelSelector: "app=web" } }],
      namePrefix: "p-",
      nameSuffix: "-s",
    });
  });

  test("without options the file is not rewritten", async () => {
    const dir = tree({ "kustomization.yaml": "resources:   [a.yaml]\n" });
    await applyOverlay(dir, {});
    assert.equal(readFileSync(join(dir, "kustomization.yaml"), "utf8"), "resources:   [a.yaml]\n");
  });
});

describe("confinement", () => {
  const remote: [string, boolean][] = [
    ["https://github.com/org/repo//deploy?ref=v1", true],
    ["git@github.com:org/repo.git", true],
    ["ssh://git@example.com/org/repo.git", true],
    ["github.com/org/repo/deploy?ref=main", true],
    ["../base", false],
    ["deploy.yaml", false],
    ["my.app/deploy", false],
  ];
  for (const [ref, want] of remote) test(`isRemote(${ref}) is ${want}`, () => assert.equal(isRemote(ref), want));

  const outside: [string, Record<string, string>, RegExp][] = [
    ["a resource", { "app/kustomization.yaml": "resources:\n- ../../x.yaml\n" }, /app\/kustomization.yaml: resources "..\/..\/x.yaml" resolves outside/],
    ["a generator file", { "app/kustomization.yaml": "configMapGenerator:\n- name: c\n  files:\n  - key=../../../etc/passwd\n" }, /file "..\/..\/..\/etc\/passwd" resolves outside/],
    ["a generator env file", { "app/kustomization.yaml": "secretGenerator:\n- name: s\n  envs:\n  - /etc/environment\n" }, /file "\/etc\/environment" resolves outside/],
    ["a patch file", { "app/kustomization.yaml": "patches:\n- path: ../../p.yaml\n" }, /file "..\/..\/p.yaml" resolves outside/],
    ["a base's resource", { "app/kustomization.yaml": "resources:\n- ../base\n", "base/kustomization.yaml": "resources:\n- ../../y.yaml\n" }, /base\/kustomization.yaml: resources "..\/..\/y.yaml" resolves outside/],
  ];
  for (const [name, files, want] of outside) {
    test(`${name} outside the artifact root is rejected`, async () => {
      const root = tree(files);
      await assert.rejects(confineBuild(root, join(root, "app")), want);
    });
  }

  test("references inside the root and inline patches pass", async () => {
    const root = tree({
      "app/kustomization.yaml": "resources:\n- ../base\n- cm.yaml\npatches:\n- patch: |-\n    - op: add\n      path: /x\n      value: 1\n",
      "app/cm.yaml": "",
      "base/kustomization.yaml": "resources: []\n",
    });
    await confineBuild(root, join(root, "app"));
  });
});

describe("decryptObjects", () => {
  const encrypted = (annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "default", annotations },
    stringData: { password: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]" },
    sops: { mac: "ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]", age: [] },
  });

  test("an encrypted Secret is recognised; a plain one and other kinds are not", () => {
    assert.equal(isEncryptedSecret(encrypted()), true);
    assert.equal(isEncryptedSecret({ apiVersion: "v1", kind: "Secret", metadata: { name: "p" }, stringData: { a: "b" } }), false);
    assert.equal(isEncryptedSecret({ ...encrypted(), kind: "ConfigMap" }), false);
  });

  test("kustomize.toolkit.fluxcd.io/decrypt: Disabled leaves the Secret as it is", async () => {
    const o = encrypted({ "kustomize.toolkit.fluxcd.io/decrypt": "Disabled" });
    assert.deepEqual(await decryptObjects([o], undefined), [o]);
  });

  test("decryption.keys must be age or armoured PGP private keys; the error names the entry, not the content", async () => {
    const api = {} as ObjectApi; // not reached: no secretRef
    await assert.rejects(loadKeys(api, "flux-system", { provider: "sops", keys: ["not-a-key-s3cret"] }), (err: Error) => /decryption.keys\[0\] is not an age private key/.test(err.message) && !err.message.includes("s3cret"));
    await assert.rejects(loadKeys(api, "flux-system", { provider: "sops" }), /decryption has no key/);
    const file = "# created: 2026-01-01\n# public key: age1xyz\nAGE-SECRET-KEY-1QQQQ\n";
    const pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----\n";
    assert.deepEqual(await loadKeys(api, "flux-system", { provider: "sops", keys: [file, pgp] }), { age: ["AGE-SECRET-KEY-1QQQQ"], pgp: [{ armored: pgp, where: "decryption.keys[1]" }] });
  });

  test("an encrypted Secret without keys fails naming it and decryption", async () => {
    await assert.rejects(decryptObjects([encrypted()], undefined), /Secret\/default\/db is encrypted with SOPS but decryption is not configured; set decryption/);
  });
});

test("commonMetadata wins over the manifests' labels and annotations and keeps the others", () => {
  const o: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { team: "old", app: "web" } } };
  const [out] = withCommonMetadata([o], { labels: { team: "new" }, annotations: { note: "x" } });
  assert.deepEqual(out.metadata, { name: "c", labels: { team: "new", app: "web" }, annotations: { note: "x" } });
  assert.deepEqual(o.metadata.labels, { team: "old", app: "web" }, "the input is not mutated");
});
