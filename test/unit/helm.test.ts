// Pure logic of the Helm sources: Masterminds constraints, index loading, Flux's version selection,
// chart URLs, credentials scope, revisions and validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConstraint, parseVersion, toSemverRange } from "../../src/core/source/semver";
import { chartUrl, parseIndex, selectChartVersion, type ChartVersion, type IndexFile } from "../../src/core/source/helm/index-file";
import { redactUrl, sameOrigin } from "../../src/core/source/helm/http";
import { mergeMaps, isInsidePath } from "../../src/core/source/helm/chart-values";
import { withMetadata } from "../../src/core/source/helm/chart-package";
import { helmChartSettings, revisionMetadata, validateHelmChart } from "../../src/core/reconcile/helm-chart";
import { helmRepositoryType, validateHelmRepository } from "../../src/core/reconcile/helm-repository";
import type { HelmChartSpec } from "../../src/core/source/helm-types";

const matches = (constraint: string, version: string) => parseConstraint(constraint).test(parseVersion(version)!);

test("Masterminds constraints: commas, partial versions, operators node-semver lacks", () => {
  const cases: [string, string, boolean][] = [
    [">= 1.0, < 2.0", "1.5.0", true],
    [">= 1.0, < 2.0", "2.0.0", false],
    [">=1.0.0,<2.0.0", "1.0.0", true],
    ["1.2", "1.2.9", true], // a partial version is a wildcard, as in node-semver
    ["1.2", "1.3.0", false],
    ["1.2.3", "1.2.3", true],
    ["1.2.3", "1.2.4", false],
    ["=> 1.2", "1.4.0", true], // node-semver has no =>
    ["=< 1.2", "1.2.5", true], // ... nor =< (a wildcard upper bound: < 1.3.0)
    ["=< 1.2", "1.3.0", false],
    ["!= 1.2.3", "1.2.4", true], // ... nor !=
    ["!= 1.2.3", "1.2.3", false],
    [">= 1.0, != 1.5.0", "1.5.0", false],
    ["~1.2.3", "1.2.9", true],
    ["~1.2.3", "1.3.0", false],
    ["~> 1.2", "1.2.7", true],
    ["^1.2", "1.9.0", true],
    ["^1.2", "2.0.0", false],
    ["^0.2.3", "0.3.0", false],
    ["1.x", "1.9.9", true],
    ["1.2 - 1.4.5", "1.4.5", true],
    ["1.2 - 1.4.5", "1.4.6", false],
    ["~1.2 || ^3.0", "3.1.0", true],
    ["v1.2.3", "1.2.3", true],
    ["*", "9.0.0", true],
  ];
  for (const [c, v, want] of cases) assert.equal(matches(c, v), want, `${c} vs ${v}`);
});

test("prereleases match only in an OR group that names one, but then on any version (Masterminds, not node-semver)", () => {
  assert.equal(matches("*", "2.0.0-rc.1"), false);
  assert.equal(matches(">= 1.0", "2.0.0-rc.1"), false);
  // node-semver would refuse 2.0.0-rc.1 here: its prerelease comparator is on 1.0.0.
  assert.equal(matches(">= 1.0.0-0", "2.0.0-rc.1"), true);
  assert.equal(matches(">= 1.0.0-0, < 3.0.0", "2.5.0-beta"), true);
  assert.equal(matches(">= 1.0.0-0 || >= 5.0", "2.0.0-rc.1"), true);
  assert.equal(matches("^5.0 || >= 1.0", "2.0.0-rc.1"), false);
});

test("toSemverRange keeps its Git meaning: commas become spaces, => and =< become >= and <=", () => {
  assert.equal(toSemverRange(">= 1.0, < 2.0"), ">= 1.0 < 2.0");
  assert.equal(toSemverRange("=> 1.0"), ">= 1.0");
  assert.equal(toSemverRange("~1.2 || ^2.0"), "~1.2 || ^2.0");
});

test("an unparseable constraint throws", () => {
  assert.throws(() => parseConstraint(">= one"), /improper constraint/);
});

test("versions parse as Masterminds does: v prefix and missing parts", () => {
  assert.equal(parseVersion("v1.2")?.version, "1.2.0");
  assert.equal(parseVersion("1")?.version, "1.0.0");
  assert.equal(parseVersion("1.2.3-rc.1+build.5")?.format(), "1.2.3-rc.1");
  assert.equal(parseVersion("latest"), undefined);
});

const INDEX = `apiVersion: v1
generated: "2026-01-01T00:00:00Z"
entries:
  app:
    - {name: app, version: 1.0.0, urls: [charts/app-1.0.0.tgz], created: "2026-01-01T00:00:00Z"}
    - {name: app, version: 1.10.0, urls: [app-1.10.0.tgz], created: "2026-01-02T00:00:00Z"}
    - {name: app, version: 1.2.0, urls: ["https://cdn.example/app-1.2.0.tgz"], created: "2026-01-03T00:00:00Z"}
    - {name: app, version: 2.0.0-rc.1, urls: [app-2.0.0-rc.1.tgz], created: "2026-01-04T00:00:00Z"}
    - {name: app, version: 1.10.0+old, urls: [app-1.10.0-old.tgz], created: "2025-12-01T00:00:00Z"}
    - {name: app, version: not-semver, urls: [x.tgz]}
    - {version: 3.0.0, urls: [noname.tgz]}
    - {name: app, urls: [noversion.tgz]}
  other: []
`;

test("index loading drops invalid entries and sorts versions newest first, ties by created", () => {
  const index = parseIndex(INDEX);
  assert.deepEqual(index.entries.app.map((e) => e.version), ["2.0.0-rc.1", "1.10.0", "1.10.0+old", "1.2.0", "1.0.0"]);
  assert.equal(index.generated, "2026-01-01T00:00:00Z");
  assert.throws(() => parseIndex("entries: {}\n"), /no apiVersion/);
  assert.throws(() => parseIndex("- a\n"), /not a mapping/);
  assert.throws(() => parseIndex("a: [\n"), /not valid YAML/);
});

test("version selection follows Flux: exact match first, highest stable match, ties to the newer created", () => {
  const index = parseIndex(INDEX);
  const cases: [string | undefined, string][] = [
    [undefined, "1.10.0"], // `*`: latest stable, no prereleases
    ["", "1.10.0"],
    ["*", "1.10.0"],
    ["1.2.0", "1.2.0"],
    ["1.10.0+old", "1.10.0+old"], // exact string match beats semver equality
    ["1.10.0", "1.10.0"], // equal semver: the newer created wins
    ["~1.2", "1.2.0"],
    [">= 1.0, < 1.5", "1.2.0"],
    [">= 2.0.0-0", "2.0.0-rc.1"],
    ["2.0.0-rc.1", "2.0.0-rc.1"],
  ];
  for (const [version, want] of cases) assert.equal(selectChartVersion(index, "app", version).version, want, String(version));
  assert.throws(() => selectChartVersion(index, "nope"), /chart "nope" is not in the repository index: check chart/);
  assert.throws(() => selectChartVersion(index, "other"), /has no versions/);
  assert.throws(() => selectChartVersion(index, "app", ">= 5.0"), /no version of chart "app" matches version ">= 5.0" \(newest: 2.0.0-rc.1, 1.10.0/);
  assert.throws(() => selectChartVersion(index, "app", "one"), /is not a semver constraint/);
});

test("ties between equal versions go to the newer created even when listed later", () => {
  const cv = (version: string, created: string): ChartVersion => ({ name: "a", version, created, urls: [`${created}.tgz`] });
  const index: IndexFile = { apiVersion: "v1", entries: { a: [cv("1.0.0+a", "2026-01-01T00:00:00Z"), cv("1.0.0+b", "2026-03-01T00:00:00Z")] } };
  assert.equal(selectChartVersion(index, "a", "1.0.0").version, "1.0.0+b");
});

test("chart URLs resolve against the repository URL, or stay absolute", () => {
  const cv = (url: string): ChartVersion => ({ name: "a", version: "1.0.0", urls: [url] });
  assert.equal(chartUrl("http://h:1/repo", cv("a-1.0.0.tgz")), "http://h:1/repo/a-1.0.0.tgz");
  assert.equal(chartUrl("http://h:1/repo/", cv("charts/a.tgz")), "http://h:1/repo/charts/a.tgz");
  assert.equal(chartUrl("http://h:1/repo", cv("https://cdn/a.tgz")), "https://cdn/a.tgz");
  assert.equal(chartUrl("http://h:1", cv("/abs/a.tgz")), "http://h:1/abs/a.tgz");
  assert.throws(() => chartUrl("http://h", { name: "a", version: "1.0.0" }), /no download URL/);
});

test("credentials go only to the repository's scheme, host and port (Helm's rule)", () => {
  assert.equal(sameOrigin("http://127.0.0.1:1/repo", "http://127.0.0.1:1/other/a.tgz"), true);
  assert.equal(sameOrigin("http://127.0.0.1:1/repo", "http://127.0.0.1:2/a.tgz"), false);
  assert.equal(sameOrigin("http://h/repo", "https://h/a.tgz"), false);
  assert.equal(redactUrl("https://u:p@h/x?token=1"), "https://h/x");
});

test("revisions: build metadata replaces the version's, source revisions shorten to 12 hex", () => {
  assert.equal(withMetadata("1.2.3", "abc"), "1.2.3+abc");
  assert.equal(withMetadata("1.2.3+old", "abc"), "1.2.3+abc");
  assert.equal(revisionMetadata(`main@sha1:${"0123456789ab".repeat(3)}0123`), "0123456789ab");
  assert.equal(revisionMetadata(`sha256:${"f".repeat(64)}`), "ffffffffffff");
  assert.equal(revisionMetadata(`refs/pull/1/head@sha1:${"a".repeat(40)}`), "aaaaaaaaaaaa");
});

test("values files merge maps deeply, later files winning; lists and scalars are replaced", () => {
  assert.deepEqual(mergeMaps({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2], e: 3 }, d: { x: 1 } }), { a: { b: 1, c: [2], e: 3 }, d: { x: 1 } });
  assert.equal(isInsidePath("values/prod.yaml"), true);
  assert.equal(isInsidePath("../secrets.yaml"), false);
  assert.equal(isInsidePath("a/../../b"), false);
  assert.equal(isInsidePath("/etc/passwd"), false);
});

test("HelmRepository validation names the field", () => {
  const props = (spec: Parameters<typeof validateHelmRepository>[0]) => validateHelmRepository(spec).map((p) => p.property);
  assert.deepEqual(props({ url: "https://charts.example" }), []);
  assert.deepEqual(props({ url: "oci://r.example/charts" }), []);
  assert.equal(helmRepositoryType({ url: "oci://r.example/charts" }), "oci");
  assert.equal(helmRepositoryType({ url: "https://charts.example" }), "default");
  assert.deepEqual(props({ url: "" }), ["url"]);
  assert.deepEqual(props({ url: "ftp://x" }), ["url"]);
  assert.deepEqual(props({ url: "https://u:p@x" }), ["url"]);
  assert.deepEqual(props({ url: "https://x", type: "oci" }), ["url"]);
  assert.deepEqual(props({ url: "https://x", insecure: true }), ["insecure"]);
  assert.deepEqual(props({ url: "https://x", timeout: "soon" }), ["timeout"]);
  assert.deepEqual(props({ url: "https://x", tls: { cert: "c" } }), ["tls"]);
  assert.deepEqual(props({ url: "https://x", auth: { username: "u" } }), ["auth"]);
});

test("HelmChart validation names the field; settings change with what shapes the chart", () => {
  const repoRef = { kind: "HelmRepository" as const, name: "r", spec: { url: "https://x" } };
  const gitRef = { kind: "GitRepository" as const, name: "g", spec: { url: "https://g" }, artifact: { revision: "r", digest: "d", size: 1 } };
  const props = (spec: HelmChartSpec) => validateHelmChart(spec).map((p) => p.property);
  assert.deepEqual(props({ sourceRef: repoRef, chart: "app" }), []);
  assert.deepEqual(props({ sourceRef: repoRef, chart: "a/b" }), ["chart"]);
  assert.deepEqual(props({ sourceRef: gitRef, chart: "./charts/app" }), []);
  assert.deepEqual(props({ sourceRef: gitRef, chart: "../app" }), ["chart"]);
  assert.deepEqual(props({ sourceRef: gitRef, chart: "/app" }), ["chart"]);
  assert.deepEqual(props({ sourceRef: gitRef, chart: "app", valuesFiles: ["../x.yaml"] }), ["valuesFiles"]);
  assert.deepEqual(props({ sourceRef: gitRef, chart: "app", reconcileStrategy: "Always" as never }), ["reconcileStrategy"]);
  const base = helmChartSettings({ sourceRef: repoRef, chart: "app" });
  assert.equal(helmChartSettings({ sourceRef: repoRef, chart: "app", version: "1.x" }), base, "the version range is not a setting: the selected version is");
  assert.notEqual(helmChartSettings({ sourceRef: repoRef, chart: "app", valuesFiles: ["a.yaml"] }), base);
  assert.notEqual(helmChartSettings({ sourceRef: { ...repoRef, spec: { url: "https://y" } }, chart: "app" }), base);
});
