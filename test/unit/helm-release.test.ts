// Pure logic of HelmRelease: Flux's values merge order, Helm's --set paths, release naming, the
// install / upgrade / nothing decision, the preview's object summary.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HelmCommandError } from "../../src/core/helm/helm-cli";
import { decodeRelease, encodeRelease, isPending, staleSince, storageSecretName } from "../../src/core/helm/unlock";
import { chartNameOf, decideAction, validateHelmRelease } from "../../src/core/helm/prepare";
import { releaseName, shortenName } from "../../src/core/helm/release-name";
import { countKinds, manifestKinds } from "../../src/core/helm/render";
import { parsePath, setPath, typedValue } from "../../src/core/helm/strvals";
import { composeValues, mergeMaps, valuesDigest, type ReadValuesSource } from "../../src/core/helm/values";

const objects: Record<string, Record<string, string>> = {
  "ConfigMap/base": { "values.yaml": "replicas: 1\nimage:\n  tag: base\n  pullPolicy: Always\nlist: [a, b]\n" },
  "ConfigMap/override": { "values.yaml": "replicas: 2\nimage:\n  tag: override\n" },
  "Secret/token": { token: "  s3cr3t\n", count: "42", flag: "true" },
};
const read: ReadValuesSource = async (kind, name) => objects[`${kind}/${name}`];

describe("values merge order (Flux's ChartValuesFromReferences)", () => {
  test("valuesFrom merge in list order, targetPath sets a path, and inline values are merged last, over targetPath", async () => {
    const { values, fromSecret } = await composeValues(
      {
        valuesFrom: [
          { kind: "ConfigMap", name: "base" },
          { kind: "ConfigMap", name: "override" },
          { kind: "Secret", name: "token", valuesKey: "token", targetPath: "auth.token" },
          { kind: "Secret", name: "token", valuesKey: "count", targetPath: "image.tag" },
          { kind: "Secret", name: "token", valuesKey: "count", targetPath: "literalCount", literal: true },
          { kind: "ConfigMap", name: "absent", optional: true },
        ],
        values: { replicas: 3, auth: { token: "inline-wins" }, image: { extra: true } },
      },
      read,
    );
    assert.deepEqual(values, {
      replicas: 3,
      image: { tag: 42, pullPolicy: "Always", extra: true },
      list: ["a", "b"],
      auth: { token: "inline-wins" },
      literalCount: "42",
    });
    assert.equal(fromSecret, true);
  });

  test("a later valuesFrom replaces lists and scalars of an earlier one, and maps merge", () => {
    assert.deepEqual(mergeMaps({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 1 } }), { a: { b: 1, c: [3] }, d: { e: 1 } });
  });

  test("errors name the valuesFrom entry and the fix", async () => {
    const cases: [Parameters<typeof composeValues>[0], RegExp][] = [
      [{ valuesFrom: [{ kind: "ConfigMap", name: "missing" }] }, /valuesFrom\[0\]: ConfigMap "missing" not found; create it or set valuesFrom\[0\]\.optional: true/],
      [{ valuesFrom: [{ kind: "ConfigMap", name: "base" }, { kind: "Secret", name: "token" }] }, /valuesFrom\[1\]: Secret "token" has no key "values.yaml"; set valuesFrom\[1\]\.valuesKey/],
      [{ valuesFrom: [{ kind: "Secret", name: "token", valuesKey: "token", targetPath: "a..b" }] }, /valuesFrom\[0\]\.targetPath: path "a\.\.b" has an empty key/],
      [{ values: [] as unknown as Record<string, unknown> }, /values must be a map/],
    ];
    for (const [spec, re] of cases) await assert.rejects(composeValues(spec, read), re);
  });

  test("the digest does not depend on key order", () => {
    assert.equal(valuesDigest({ a: 1, b: { c: 2, d: 3 } }), valuesDigest({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(valuesDigest({ a: 1 }), valuesDigest({ a: "1" }));
  });
});

describe("Helm --set paths", () => {
  test("paths with lists, escapes and typing as helm --set does", () => {
    assert.deepEqual(setPath({}, "a.b[1].c", "true"), { a: { b: [null, { c: true }] } });
    assert.deepEqual(setPath({ a: { keep: 1 } }, "a.x\\.y", "0"), { a: { keep: 1, "x.y": 0 } });
    assert.deepEqual(setPath({}, "list[0]", "007"), { list: ["007"] });
    assert.deepEqual(setPath({}, "s", "1.5"), { s: "1.5" });
    assert.deepEqual(typedValue("null"), null);
    assert.deepEqual(parsePath("a[0][1].b"), [{ key: "a" }, { index: 0 }, { index: 1 }, { key: "b" }]);
    assert.throws(() => parsePath("[0]"), /must start with a key/);
    assert.throws(() => parsePath("a=b"), /contains "="/);
  });
});

describe("release names (Flux's)", () => {
  test("[<targetNamespace>-]<name>, and names over 53 characters shortened with a hash", () => {
    assert.equal(releaseName("web", {}), "web");
    assert.equal(releaseName("web", { targetNamespace: "apps" }), "apps-web");
    assert.equal(releaseName("web", { targetNamespace: "apps", releaseName: "mine" }), "mine");
    const long = `${"a".repeat(30)}-${"b".repeat(30)}`;
    const short = shortenName(long);
    assert.equal(short.length, 53);
    assert.match(short, /^a{30}-b{9}-[0-9a-f]{12}$/);
    assert.equal(shortenName("x".repeat(53)), "x".repeat(53));
  });
});

describe("install, upgrade or nothing", () => {
  const p = { metadata: { name: "app", version: "1.1.0" }, valuesDigest: "sha256:v", configDigest: "sha256:c" };
  const deployed = { revision: 2, status: "deployed", chart: "app-1.1.0" };
  test("table", () => {
    const cases: [Parameters<typeof decideAction>, string, string][] = [
      [[p, undefined, undefined, undefined], "install", "no release exists"],
      [[p, { ...deployed, status: "uninstalled" }, undefined, undefined], "install", "no release exists"],
      [[p, { ...deployed, status: "failed" }, undefined, undefined], "upgrade", "the release's last version is failed"],
      [[p, { ...deployed, chart: "app-1.0.0" }, "sha256:v", undefined], "upgrade", "chart app-1.0.0 → app-1.1.0"],
      [[p, deployed, "sha256:other", undefined], "upgrade", "values changed"],
      [[p, deployed, "sha256:v", "sha256:old"], "upgrade", "postRenderers or commonMetadata changed"],
      [[p, deployed, "sha256:v", "sha256:c"], "none", "up to date"],
      [[p, { ...deployed, chart: "old-app-1.1.0" }, "sha256:v", "sha256:c"], "reinstall", "chart name old-app → app (upgrade.chartNameChangeStrategy Reinstall)"],
      [[{ ...p, chartNameChangeStrategy: "InPlaceUpdate" }, { ...deployed, chart: "old-app-1.1.0", status: "failed" }, undefined, undefined], "upgrade", "chart name old-app → app (upgrade.chartNameChangeStrategy InPlaceUpdate)"],
    ];
    for (const [args, action, reason] of cases) assert.deepEqual(decideAction(...args), { action, reason });
  });
});

describe("the chart name of a helm history entry", () => {
  test("table: the name is what precedes -<semver>, dashes and pre-releases included", () => {
    const cases: [string, string][] = [["app-1.0.0", "app"], ["my-app-2-10.2.3", "my-app-2"], ["app-1.0.0-rc.1", "app"], ["app-v1.2.3+build.4", "app"]];
    for (const [chart, name] of cases) assert.equal(chartNameOf(chart), name, chart);
  });
});

describe("validation of the strategies", () => {
  test("the helm 3 CLI's own strategies and Flux's action strategies pass; others are refused naming the field", () => {
    assert.deepEqual(validateHelmRelease({ postRenderStrategy: "nohooks", waitStrategy: { name: "legacy" }, install: { strategy: { name: "RetryOnFailure", retryInterval: "2m" } }, upgrade: { chartNameChangeStrategy: "InPlaceUpdate" } }), []);
    const problems = validateHelmRelease({ postRenderStrategy: "separate" as "nohooks", install: { strategy: { name: "RetryOnFailure", retryInterval: "later" } } });
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems.join("\n"), /install\.strategy\.retryInterval/);
    assert.match(problems.join("\n"), /postRenderStrategy "separate" is not supported: the helm 3 CLI post-renders the chart's objects, never its hooks/);
  });
});

describe("the preview's object summary", () => {
  test("a release manifest's objects are counted by kind, sorted, hooks and empty documents left out", () => {
    const manifest = [
      "---\n# Source: app/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
      "---\n# Source: app/templates/empty.yaml\n",
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n",
    ].join("");
    const objects = manifestKinds(manifest);
    assert.deepEqual(objects.map((o) => o.metadata.name), ["web", "a", "b", "t"]);
    const counts = countKinds(objects);
    assert.deepEqual(counts, { ConfigMap: 2, Service: 1 });
    assert.deepEqual(Object.keys(counts), ["ConfigMap", "Service"]);
  });
});

describe("HelmCommandError", () => {
  test("an older helm that lacks a flag fluxiac passes is named, with the version to install", () => {
    assert.equal(
      new HelmCommandError("install", "Error: unknown flag: --take-ownership\n").message,
      "helm install failed: this helm does not know --take-ownership; install Helm 3.17 or newer (or point FLUXIAC_HELM at one)",
    );
    assert.equal(new HelmCommandError("upgrade", "WARNING: x\nError: UPGRADE FAILED: boom\n").message, "helm upgrade failed: UPGRADE FAILED: boom");
  });
});

describe("unlock", () => {
  test("Helm's stored release form round-trips: base64 of gzipped JSON, base64 again on the wire", () => {
    const rel = { name: "web", version: 2, info: { status: "pending-upgrade" } };
    const wire = encodeRelease(rel);
    assert.deepEqual(decodeRelease(wire), rel);
    assert.equal(Buffer.from(wire, "base64").toString("utf8").startsWith("H4sI"), true, "the inner value is base64 of gzip, as helm writes it");
    assert.equal(storageSecretName("web", 2), "sh.helm.release.v1.web.v2");
  });

  test("a pending version is stale only once it is older than the timeout, and never without a time", () => {
    const now = Date.parse("2026-11-29T12:00:00Z");
    assert.equal(staleSince({ updated: "2026-11-29T11:54:00.123456789Z" }, 5 * 60_000, now), 359_877);
    assert.equal(staleSince({ updated: "2026-11-29T11:56:00Z" }, 5 * 60_000, now), undefined);
    assert.equal(staleSince({}, 5 * 60_000, now), undefined);
    assert.deepEqual(["pending-install", "pending-upgrade", "pending-rollback", "failed", "deployed", undefined].map(isPending), [true, true, true, false, false, false]);
  });
});
