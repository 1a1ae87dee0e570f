// Pure logic of the OCI client: references, challenges, Docker config credentials, Link headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { credentialsFor, parseChallenge } from "../../src/core/source/oci/auth";
import { nextLink } from "../../src/core/source/oci/client";
import { isTarGzip } from "../../src/core/source/oci/manifest";
import { parseOCIReference, registryBaseUrl } from "../../src/core/source/oci/reference";

const D = `sha256:${"a".repeat(64)}`;

test("oci:// URLs parse into host, repository, tag and digest", () => {
  const cases: [string, boolean, object][] = [
    ["oci://ghcr.io/org/app", false, { host: "ghcr.io", repository: "org/app", tag: undefined, digest: undefined }],
    ["oci://127.0.0.1:5000/a/b/c", false, { host: "127.0.0.1:5000", repository: "a/b/c", tag: undefined, digest: undefined }],
    ["oci://localhost:5000/app:v1.0.0", true, { host: "localhost:5000", repository: "app", tag: "v1.0.0", digest: undefined }],
    [`oci://localhost:5000/app:v1@${D}`, true, { host: "localhost:5000", repository: "app", tag: "v1", digest: D }],
  ];
  for (const [url, allowTag, want] of cases) assert.deepEqual(parseOCIReference(url, { allowTag }), want, url);
});

test("bad oci:// URLs are refused naming the problem", () => {
  const cases: [string, RegExp][] = [
    ["https://ghcr.io/org/app", /must start with oci:\/\//],
    ["oci://ghcr.io", /names no repository/],
    ["oci://ghcr.io/org/app:v1", /must not contain a tag; set ref.tag/],
    [`oci://ghcr.io/org/app@${D}`, /must not contain a digest; set ref.digest/],
    ["oci://ghcr.io/Org/App", /not a valid repository name/],
  ];
  for (const [url, message] of cases) assert.throws(() => parseOCIReference(url), message, url);
});

test("plain HTTP only when insecure is set", () => {
  assert.equal(registryBaseUrl("r:5000", false), "https://r:5000");
  assert.equal(registryBaseUrl("r:5000", undefined), "https://r:5000");
  assert.equal(registryBaseUrl("r:5000", true), "http://r:5000");
});

test("WWW-Authenticate challenges parse into scheme and parameters", () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.io/token",service="registry.io",scope="repository:org/app:pull,push"'), {
    scheme: "bearer",
    params: { realm: "https://auth.io/token", service: "registry.io", scope: "repository:org/app:pull,push" },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: "basic", params: { realm: "Registry Realm" } });
});

test("credentials come from username/password or the matching auths entry of a Docker config", () => {
  const config = JSON.stringify({
    auths: {
      "https://other.io/v1/": { auth: Buffer.from("x:y").toString("base64") },
      "reg.io:5000": { auth: Buffer.from("bob:pa:ss").toString("base64") },
      "plain.io": { username: "ann", password: "pw" },
    },
  });
  assert.deepEqual(credentialsFor("reg.io:5000", { dockerConfigJson: config }), { username: "bob", password: "pa:ss" });
  assert.deepEqual(credentialsFor("plain.io", { dockerConfigJson: config }), { username: "ann", password: "pw" });
  assert.deepEqual(credentialsFor("other.io", { dockerConfigJson: config }), { username: "x", password: "y" });
  assert.equal(credentialsFor("reg.io", { dockerConfigJson: config }), undefined, "the port is part of the match");
  assert.deepEqual(credentialsFor("any.io", { username: "u", password: "p" }), { username: "u", password: "p" });
  assert.equal(credentialsFor("any.io", undefined), undefined);
  assert.throws(() => credentialsFor("any.io", { dockerConfigJson: "{" }), /auth.dockerConfigJson is not valid JSON/);
});

test("tag list pages follow the Link header and never leave the registry", () => {
  assert.equal(nextLink('</v2/app/tags/list?last=b&n=2>; rel="next"', "https://r:5000"), "/v2/app/tags/list?last=b&n=2");
  assert.equal(nextLink(undefined, "https://r:5000"), undefined);
  assert.throws(() => nextLink('<https://evil.io/v2/app/tags/list?last=b>; rel="next"', "https://r:5000"), /links to another host/);
});

test("extract needs a tar+gzip layer", () => {
  assert.equal(isTarGzip("application/vnd.cncf.flux.content.v1.tar+gzip"), true);
  assert.equal(isTarGzip("application/vnd.docker.image.rootfs.diff.tar.gzip"), true);
  assert.equal(isTarGzip("application/vnd.oci.image.layer.v1.tar"), false);
});
