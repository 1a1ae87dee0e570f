// OCIRepository under the real Pulumi engine: preview shows a new revision when a new tag inside the semver
// range is pushed and nothing when upstream is unchanged; a Kustomization applies the pulled artifact into
// a real control plane.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { pushArtifact } from "../../src/core/source/oci/push";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";

const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const NS = "oci-apps";

/** PROGRAM is one OCIRepository (semver range, basic auth) and one Kustomization applying its artifact. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { OCIRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new OCIRepository("apps", {
  url: cfg.require("url"),
  ref: { semver: cfg.get("semver") || "1.x" },
  insecure: true,
  auth: cfg.requireSecretObject("auth"),
});
const ks = new Kustomization("apps", {
  sourceRef: repo,
  path: "./deploy",
  prune: true,
  kubeconfig: cfg.requireSecret("kubeconfig"),
});
exports.revision = repo.artifact.revision;
exports.digest = repo.artifact.digest;
exports.metadata = repo.artifact.metadata;
exports.inventory = ks.inventory;
exports.lastAppliedRevision = ks.lastAppliedRevision;
`;

const configMap = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-oci\n  namespace: ${NS}\ndata:\n  color: "${color}"\n`;

describe("OCIRepository + Kustomization under pulumi up", () => {
  let cp: ControlPlane;
  let reg: OCIRegistry;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  const engineLog: string[] = [];

  const push = async (tag: string, color: string) => {
    const dir = await mkdtemp(join(scratch, "src-"));
    await mkdir(join(dir, "deploy"));
    await writeFile(join(dir, "deploy", "cm.yaml"), configMap(color));
    const { digest } = await pushArtifact({
      dir, url: reg.url("fleet/apps"), tag, insecure: true, auth: { username: reg.username, password: reg.password },
      source: "https://git.example/fleet", revision: `${tag}@sha1:${"c".repeat(40)}`,
    });
    return digest;
  };
  const color = async () => (await core.readNamespacedConfigMap({ name: "from-oci", namespace: NS })).data?.color;
  const preview = () => prog.stack.preview({ diff: true, onOutput: (o) => engineLog.push(o) });
  const up = () => prog.stack.up({ onOutput: (o) => engineLog.push(o) });

  before(async () => {
    [cp, reg] = await Promise.all([startControlPlane(), startOCIRegistry({ parent: scratch, auth: "htpasswd" })]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    prog = await pulumiProgram("oci-fleet", PROGRAM, {
      config: {
        url: { value: reg.url("fleet/apps") },
        auth: { value: JSON.stringify({ username: reg.username, password: reg.password }), secret: true },
        kubeconfig: { value: cp.kubeconfig, secret: true },
      },
    });
  });

  after(async () => {
    await prog?.cleanup();
    await Promise.all([cp?.stop(), reg?.stop()]);
  });

  test("up pulls the highest tag in range, records the artifact and applies its ConfigMap", async () => {
    const d1 = await push("1.0.0", "blue");
    const res = await up();
    assert.equal(res.outputs.revision.value, `1.0.0@${d1}`);
    assert.equal(res.outputs.lastAppliedRevision.value, `1.0.0@${d1}`);
    assert.equal(res.outputs.metadata.value["org.opencontainers.image.revision"], `1.0.0@sha1:${"c".repeat(40)}`);
    assert.deepEqual(res.outputs.inventory.value.entries, [{ id: `${NS}_from-oci__ConfigMap`, v: "v1" }]);
    assert.equal(await color(), "blue");
    const digest: string = res.outputs.digest.value;
    assert.ok(existsSync(join(prog.dir, ".state", "cache", "artifacts", "sha256", `${digest.slice("sha256:".length)}.tar.gz`)), "the artifact is in the store");
    const state = await prog.rawState();
    assert.ok(state.includes(`1.0.0@${d1}`), "the state records the revision");
    assert.equal(state.includes(reg.password), false, "the registry password never reaches plain state");
    assert.equal(engineLog.join("").includes(reg.password), false, "nor the engine's output");
  });

  test("preview shows nothing when upstream is unchanged, and nothing for a tag outside the range", async () => {
    const same = await preview();
    assert.equal(same.changeSummary.update ?? 0, 0, `no change: ${JSON.stringify(same.changeSummary)}\n${same.stdout}`);
    await push("2.0.0", "red");
    const outside = await preview();
    assert.equal(outside.changeSummary.update ?? 0, 0, `2.0.0 is outside 1.x: ${JSON.stringify(outside.changeSummary)}\n${outside.stdout}`);
  });

  test("a new tag inside the range shows in preview as a new revision, then up applies it", async () => {
    const d2 = await push("1.1.0", "green");
    const pv = await preview();
    assert.ok((pv.changeSummary.update ?? 0) >= 2, `the OCIRepository and the Kustomization change: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.ok(pv.stdout.includes(`1.1.0@${d2}`), "preview shows the new revision");
    assert.equal(await color(), "blue", "preview changed nothing");
    const res = await up();
    assert.equal(res.outputs.lastAppliedRevision.value, `1.1.0@${d2}`);
    assert.equal(await color(), "green");
  });

  test("bad input fails naming the resource and leaves the cluster untouched", async () => {
    const cases: [Record<string, { value: string; secret?: boolean }>, RegExp][] = [
      [{ semver: { value: ">= 5.0.0" } }, /OCIRepository "apps": no tag in oci:\/\/.* matches ref.semver ">= 5.0.0"/],
      [{ auth: { value: JSON.stringify({ username: reg.username, password: "hunter2-wrong" }), secret: true } }, /OCIRepository "apps": authentication to .* failed: check the credentials in auth/],
    ];
    const good = { auth: { value: JSON.stringify({ username: reg.username, password: reg.password }), secret: true } };
    for (const [config, message] of cases) {
      await prog.setConfig(config);
      const err = await up().then(() => undefined, (e: Error) => e);
      assert.ok(err, "up fails");
      assert.match(err.message, message);
      assert.equal(err.message.includes("hunter2"), false, "the password is not echoed");
      assert.equal(await color(), "green");
      await prog.stack.removeConfig("semver");
      await prog.setConfig(good);
    }
  });
});
