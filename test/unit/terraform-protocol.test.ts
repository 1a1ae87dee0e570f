// The Terraform provider's protocol pieces: cty values through msgpack (unknowns included), cty type
// JSON, the schema builder, attribute paths, the lock-file hash and the AutoMTLS certificate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "@msgpack/msgpack";
import { typeJson, UNKNOWN, type CtyType, type CtyValue } from "../../src/terraform/cty";
import { decodeJsonValue, decodeValue, encodeValue } from "../../src/terraform/msgpack";
import { attrType, camel, engineProps, nullObject, obj, objList, protoSchema, snake, str, strMap, type Attributes } from "../../src/terraform/schema";
import { attributePath, error } from "../../src/terraform/diagnostics";
import { packageHash } from "../../src/terraform/install";
import { handshakeCert, serverIdentity } from "../../src/terraform/cert";
import { resourceTypes } from "../../src/terraform/resources";
import { providerAttributes } from "../../src/terraform/config";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("unknown is written exactly as go-cty writes it: d4 00 00", () => {
  assert.equal(hex(encodeValue(UNKNOWN, "string")), "d40000");
  assert.equal(hex(encodeValue(null, "string")), "c0");
});

test("any msgpack extension reads as unknown, including Terraform's refined unknowns (type 12)", () => {
  assert.equal(decodeValue(Buffer.from("d40000", "hex"), "string"), UNKNOWN);
  assert.equal(decodeValue(Buffer.from("c7070c8201c202a2622d", "hex"), "string"), UNKNOWN, "not-null with prefix b-");
  assert.equal(decodeValue(Buffer.from("c70000", "hex"), "number"), UNKNOWN);
});

test("values round-trip through msgpack, by type", () => {
  const cases: [string, CtyType, CtyValue][] = [
    ["string", "string", "main@sha1:abc"],
    ["integer", "number", 42],
    ["float", "number", 1.5],
    ["bool", "bool", false],
    ["null", "string", null],
    ["list with an unknown element", ["list", "string"], ["a", UNKNOWN, "c"]],
    ["set", ["set", "number"], [1, 2]],
    ["map keeps its keys", ["map", "string"], { "app.kubernetes.io/name": "web", Camel_Key: "x" }],
    ["tuple", ["tuple", ["string", "bool"]], ["x", true]],
    ["object", ["object", { name: "string", size: "number", ref: ["object", { branch: "string" }] }], { name: "apps", size: 3, ref: { branch: "main" } }],
    ["object with unknown attributes", ["object", { name: "string", artifact: ["object", { revision: "string" }] }], { name: "apps", artifact: UNKNOWN }],
    ["list of objects", ["list", ["object", { paths: ["list", "string"] }]], [{ paths: ["/spec/replicas"] }]],
    ["dynamic", "dynamic", { type: ["list", "string"], value: ["a", "b"] }],
    ["dynamic holding an object", "dynamic", { type: ["object", { a: "number" }], value: { a: 1 } }],
  ];
  for (const [what, type, value] of cases) {
    assert.deepEqual(decodeValue(encodeValue(value, type), type), value, what);
  }
});

test("an object is written with every attribute, null for the missing ones", () => {
  const type: CtyType = ["object", { a: "string", b: "string" }];
  assert.deepEqual(decodeValue(encodeValue({ a: "x" }, type), ["map", "string"]), { a: "x", b: null });
  assert.deepEqual(decodeValue(Buffer.from(encode({ a: "x" })), type), { a: "x", b: null }, "and read the same way");
});

test("a dynamic value is [type JSON, value] on the wire; a wholly unknown dynamic is bare d4 00 00", () => {
  const wire = encodeValue({ type: "string", value: "hi" }, "dynamic");
  assert.equal(hex(wire), `92${"c4"}08${Buffer.from('"string"').toString("hex")}a26869`);
  assert.equal(hex(encodeValue(UNKNOWN, "dynamic")), "d40000");
});

test("numbers Terraform sends as decimal strings are read as numbers", () => {
  assert.equal(decodeValue(Buffer.from(encode("12345678901234567890")), "number"), 12345678901234567890);
  assert.throws(() => decodeValue(Buffer.from(encode("twelve")), "number"), /expected a number/);
});

test("raw state JSON decodes with the current schema: new attributes are null, removed ones dropped", () => {
  const type: CtyType = ["object", { name: "string", drift: ["list", "string"] }];
  assert.deepEqual(decodeJsonValue({ name: "apps", gone: 1 }, type), { name: "apps", drift: null });
  assert.deepEqual(decodeJsonValue({ value: ["a"], type: ["list", "string"] }, "dynamic"), { type: ["list", "string"], value: ["a"] });
});

test("cty type JSON is what Terraform parses", () => {
  const cases: [CtyType, string][] = [
    ["string", '"string"'],
    [["list", "string"], '["list","string"]'],
    [["map", "string"], '["map","string"]'],
    [["object", { revision: "string", size: "number" }], '["object",{"revision":"string","size":"number"}]'],
  ];
  for (const [t, json] of cases) assert.equal(typeJson(t).toString(), json);
});

const sample: Attributes = {
  name: str("Name.", { required: true, replace: true }),
  secret_ref: obj("A Secret.", { name: str("Secret name.", { required: true }), key: str("Key.") }),
  health_checks: objList("Objects.", { api_version: str("API version.", { required: true }) }),
  labels: strMap("Labels."),
  token: str("Token.", { optional: true, sensitive: true }),
  id: str("Id.", { computed: true }),
};

test("the schema builder writes attributes, nested attributes (SINGLE and LIST), flags and descriptions", () => {
  const schema = protoSchema(sample, "A sample.");
  assert.equal(schema.block.description, "A sample.");
  const byName = Object.fromEntries(schema.block.attributes.map((a) => [a.name, a]));
  assert.deepEqual({ ...byName.name, type: byName.name.type?.toString() }, { name: "name", type: '"string"', description: "Name.", description_kind: "PLAIN", required: true, optional: false, computed: false, sensitive: false });
  assert.equal(byName.secret_ref.type, undefined);
  assert.equal(byName.secret_ref.nested_type?.nesting, "SINGLE");
  assert.deepEqual(byName.secret_ref.nested_type?.attributes.map((a) => [a.name, a.required, a.optional]), [["name", true, false], ["key", false, true]]);
  assert.equal(byName.health_checks.nested_type?.nesting, "LIST");
  assert.equal(byName.labels.type?.toString(), '["map","string"]');
  assert.equal(byName.token.sensitive, true);
  assert.equal(byName.id.computed, true);
  assert.deepEqual(attrType(sample.health_checks), ["list", ["object", { api_version: "string" }]]);
});

test("every served schema passes Terraform's own rules: names, one of required/optional/computed, one of type/nested_type", () => {
  const check = (where: string, attrs: ReturnType<typeof protoSchema>["block"]["attributes"]) => {
    for (const a of attrs) {
      assert.match(a.name, /^[a-z0-9_]+$/, `${where}.${a.name}`);
      assert.ok(a.required ? !a.optional && !a.computed : a.optional || a.computed, `${where}.${a.name}: required excludes the others; one must be set`);
      assert.ok(Boolean(a.type) !== Boolean(a.nested_type), `${where}.${a.name}: exactly one of type and nested_type`);
      if (a.type) JSON.parse(a.type.toString());
      if (a.nested_type) check(`${where}.${a.name}`, a.nested_type.attributes);
    }
  };
  check("provider", protoSchema(providerAttributes, "").block.attributes);
  assert.deepEqual(resourceTypes.map((t) => t.typeName), ["fluxiac_git_repository", "fluxiac_oci_repository", "fluxiac_helm_repository", "fluxiac_bucket", "fluxiac_kustomization", "fluxiac_helm_release", "fluxiac_bootstrap_git"]);
  for (const t of resourceTypes) {
    check(t.typeName, protoSchema(t.attributes, t.description).block.attributes);
    assert.ok(t.attributes.id?.computed, `${t.typeName} has a computed id`);
  }
  const sources = ["fluxiac_git_repository", "fluxiac_oci_repository", "fluxiac_helm_repository", "fluxiac_bucket"];
  for (const t of resourceTypes.filter((r) => sources.includes(r.typeName))) {
    assert.ok(t.attributes.source_reference?.sensitive && t.attributes.artifact?.computed, `${t.typeName} exposes artifact and a sensitive source_reference`);
    assert.ok(t.attributes.auth?.sensitive, `${t.typeName}'s credentials are sensitive`);
  }
});

test("engine props are the camelCase of the attributes; map keys stay as given; nulls are left out", () => {
  assert.equal(camel("post_build"), "postBuild");
  assert.equal(camel("docker_config_json"), "dockerConfigJson");
  assert.equal(snake("substituteFrom"), "substitute_from");
  const props = engineProps(sample, {
    name: "apps",
    secret_ref: { name: "kc", key: null },
    health_checks: [{ api_version: "apps/v1" }],
    labels: { "app.kubernetes.io/part_of": "x" },
    token: null,
    id: null,
  });
  assert.deepEqual(props, { name: "apps", secretRef: { name: "kc" }, healthChecks: [{ apiVersion: "apps/v1" }], labels: { "app.kubernetes.io/part_of": "x" } });
});

test("engine property paths become Terraform attribute paths", () => {
  assert.deepEqual(attributePath("ref.commit").steps, [{ attribute_name: "ref" }, { attribute_name: "commit" }]);
  assert.deepEqual(attributePath("include[0].fromPath").steps, [{ attribute_name: "include" }, { element_key_int: 0 }, { attribute_name: "from_path" }]);
  assert.deepEqual(error("bad", "", "postBuild.substituteFrom[2]").attribute?.steps, [{ attribute_name: "post_build" }, { attribute_name: "substitute_from" }, { element_key_int: 2 }]);
  assert.equal(error("bad").attribute, undefined);
});

test("the lock-file hash is Go's dirhash Hash1 over the platform directory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fluxiac-hash-"));
  try {
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "terraform-provider-fluxiac_v1.0.0"), "#!/bin/sh\n");
    writeFileSync(join(dir, "sub", "b.txt"), "b");
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    const lines = `${sha("b")}  sub/b.txt\n${sha("#!/bin/sh\n")}  terraform-provider-fluxiac_v1.0.0\n`;
    assert.equal(await packageHash(dir), `h1:${createHash("sha256").update(lines).digest("base64")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the AutoMTLS certificate is self-signed for localhost and travels as unpadded base64 DER", () => {
  const id = serverIdentity();
  const cert = new X509Certificate(id.certDer);
  assert.equal(cert.subjectAltName, "DNS:localhost");
  assert.equal(cert.ca, true);
  assert.ok(cert.verify(cert.publicKey), "self-signed");
  assert.ok(Date.parse(cert.validFrom) < Date.now() - 20_000, "valid from before now, for clock skew");
  assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  const line = handshakeCert(id.certDer);
  assert.equal(line.endsWith("="), false);
  assert.deepEqual(Buffer.from(line, "base64"), id.certDer);
});

test("validation reports fluxiac's problems on their attributes, and leaves values not known yet for the plan", () => {
  const byType = Object.fromEntries(resourceTypes.map((t) => [t.typeName, t]));
  const git = byType.fluxiac_git_repository;
  const gitConfig = { ...nullObject(git.attributes), name: "apps", url: UNKNOWN, ref: { branch: null, tag: null, semver: null, name: null, commit: "abc" } };
  assert.deepEqual(
    git.validate(gitConfig).map((d) => [d.summary, d.attribute?.steps]),
    [['GitRepository "apps": ref.commit must be a full 40-character SHA-1', [{ attribute_name: "ref" }, { attribute_name: "commit" }]]],
  );
  assert.deepEqual(git.validate({ ...gitConfig, url: "ftp://x", ref: null }).map((d) => d.attribute?.steps), [[{ attribute_name: "url" }]]);

  const ks = byType.fluxiac_kustomization;
  const ksConfig = { ...nullObject(ks.attributes), name: "apps", prune: true, source_ref: "not json", dependencies: ["{}", UNKNOWN], deletion_policy: "Sometimes" };
  assert.deepEqual(
    ks.validate(ksConfig).map((d) => [d.summary, d.attribute?.steps]),
    [
      ['Kustomization "apps": source_ref must be a source\'s source_reference, e.g. fluxiac_git_repository.apps.source_reference', [{ attribute_name: "source_ref" }]],
      ['Kustomization "apps": dependencies[0] must be a Kustomization\'s dependency attribute, e.g. fluxiac_kustomization.infra.dependency', [{ attribute_name: "dependencies" }, { element_key_int: 0 }]],
      ['Kustomization "apps": deletion_policy "Sometimes" is not valid: use MirrorPrune, Delete, WaitForTermination or Orphan', [{ attribute_name: "deletion_policy" }]],
    ],
  );
  assert.deepEqual(ks.validate({ ...ksConfig, source_ref: UNKNOWN, dependencies: null, deletion_policy: null }), [], "unknown values are checked at plan time");

  // Flux's `provider` is `cloud_provider` (Terraform reserves `provider`): its problems point there.
  const bucket = byType.fluxiac_bucket;
  const bucketConfig = { ...nullObject(bucket.attributes), name: "b", bucket_name: "b", endpoint: "s3.example.com", cloud_provider: "gcp" };
  assert.deepEqual(bucket.validate(bucketConfig).map((d) => d.attribute?.steps), [[{ attribute_name: "cloud_provider" }]]);
  assert.deepEqual(bucket.validate({ ...bucketConfig, cloud_provider: "aws" }), []);
  assert.deepEqual(bucket.validate({ ...bucketConfig, cloud_provider: UNKNOWN }), [], "checked at plan time once known");
});
