// `fluxiac diff kustomization` end to end: the built CLI as a child process against a real API server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseManifests, type KubeObject } from "../../src/core/build/kustomize";
import { connect } from "../../src/core/kube/client";
import { applyAllStaged } from "../../src/core/kube/ssa/apply";
import { normalize, type ResourceManager } from "../../src/core/kube/ssa/manager";
import { silentLogger } from "../../src/core/log";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { toolsBin } from "../harness/tools";
import { widgetCrd, SHOP_NAMESPACE, GEAR_WIDGET } from "../harness/manifests";

/** scratch holds every temp dir of this file; it is removed when the file's tests end. */
const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const MAIN = resolve(__dirname, "..", "..", "src", "cli", "main.js");

const CRD = widgetCrd();
const NS = SHOP_NAMESPACE;
const WIDGET = GEAR_WIDGET;
const CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\ndata:\n  color: blue\n";
const OLD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  namespace: shop\ndata:\n  keep: \"no\"\n";
const secret = (password: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: shop\nstringData:\n  password: ${password}\n`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("fluxiac diff kustomization", () => {
  let cp: ControlPlane;
  let core: k8s.CoreV1Api;
  const dir = join(scratch, "shop");

  /** diff runs the built CLI as a user would. */
  const diff = (...args: string[]): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [MAIN, "diff", "kustomization", "shop", "--path", dir, "--kubeconfig", cp.kubeconfigPath, ...args],
        { env: { ...process.env, PATH: `${toolsBin()}:${process.env.PATH}` } },
        (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
      );
    });

  /** writeDir replaces the local directory's files. */
  const writeDir = async (files: Record<string, string>) => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
  };

  /** applyDir applies the directory's objects as a Kustomization "shop" in flux-system would (staged SSA, ownership labels). */
  const applyDir = async (files: Record<string, string>) => {
    const m: ResourceManager = { api: connect({ kubeconfig: cp.kubeconfig }).api, owner: { name: "shop", namespace: "flux-system" }, log: silentLogger, concurrency: 4 };
    const objects: KubeObject[] = Object.values(files).flatMap((text) => parseManifests(text, { kind: "Kustomization", name: "shop" }));
    await applyAllStaged(m, await normalize(m, objects));
  };

  before(async () => {
    cp = await startControlPlane();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await cp?.stop();
  });

  const files = { "crd.yaml": CRD, "ns.yaml": NS, "widget.yaml": WIDGET, "cm.yaml": CM, "old.yaml": OLD, "secret.yaml": secret("s3cr3t-one") };

  test("given a new CRD, its custom resource and a new namespace, when diffed, then all preview as created (staged) and it exits 1", async () => {
    await writeDir(files);
    const r = await diff();
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), [
      "► ConfigMap/shop/cfg created",
      "► ConfigMap/shop/old created",
      "► CustomResourceDefinition/widgets.example.com created",
      "► Namespace/shop created",
      "► Secret/shop/creds created",
      "► Widget/shop/gear created",
    ]);
    assert.deepEqual((await readdir(dir)).sort(), Object.keys(files).sort(), "the generated kustomization.yaml is not written into the user's directory");
  });

  test("given the directory was applied, when diffed, then nothing changes and it exits 0", async () => {
    await applyDir(files);
    const r = await diff("--prune");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /✔ no changes/);
  });

  test("given drift made by hand, when diffed, then the object is drifted with a readable diff of the changed field", async () => {
    await core.patchNamespacedConfigMap(
      { name: "cfg", namespace: "shop", body: { data: { color: "red" } }, fieldManager: "someone" },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const r = await diff();
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "► ConfigMap/shop/cfg drifted");
    assert.ok(lines.includes("  -  color: red") && lines.includes("  +  color: blue"), r.stdout);
    assert.equal((await core.readNamespacedConfigMap({ name: "cfg", namespace: "shop" })).data?.color, "red", "diff changes nothing");
  });

  test("given a changed Secret, when diffed, then its values are masked and never printed", async () => {
    await applyDir(files); // repair the drift
    await writeDir({ ...files, "secret.yaml": secret("s3cr3t-two") });
    const r = await diff();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^► Secret\/shop\/creds drifted$/m);
    assert.match(r.stdout, /^  -  password: "\*\*\* \(before\)"$/m);
    assert.match(r.stdout, /^  \+  password: "\*\*\* \(after\)"$/m);
    for (const value of ["s3cr3t-one", "s3cr3t-two"]) {
      for (const form of [value, Buffer.from(value).toString("base64")]) assert.ok(!(r.stdout + r.stderr).includes(form), `${form} printed`);
    }
  });

  test("given an object that left the build, when diffed with --prune, then it is listed as deleted; without --prune it is not", async () => {
    const { "old.yaml": _gone, ...rest } = files;
    await writeDir(rest);
    const pruned = await diff("--prune");
    assert.equal(pruned.code, 1, pruned.stderr);
    assert.deepEqual(pruned.stdout.trim().split("\n"), ["► ConfigMap/shop/old deleted"]);
    const kept = await diff();
    assert.equal(kept.code, 0, kept.stdout);
  });

  test("given an overlay of a base outside --path in the same Git work tree, when diffed, then the base is built", async () => {
    await writeDir({
      ".git/HEAD": "ref: refs/heads/main\n",
      "base/kustomization.yaml": "resources:\n- cm.yaml\n",
      "base/cm.yaml": CM,
      "overlay/kustomization.yaml": "resources:\n- ../base\nnameSuffix: -prod\n",
    });
    const r = await diff("--path", join(dir, "overlay"));
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "► ConfigMap/shop/cfg-prod created\n");
  });

  test("given a file that is not valid YAML, when diffed, then it exits 2 naming the file", async () => {
    await writeDir({ ...files, "bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n" });
    const r = await diff();
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /✗ Kustomization "shop": .*bad\.yaml is not valid YAML \(line \d+/);
  });

  test("given an unreachable cluster or a missing option, when diffed, then it exits 2", async () => {
    await writeDir(files);
    const kubeconfig = join(scratch, "down.kubeconfig");
    await writeFile(kubeconfig, cp.kubeconfig.replace(/server: \S+/, "server: https://127.0.0.1:1"));
    const down = await new Promise<Run>((done) =>
      execFile(process.execPath, [MAIN, "diff", "ks", "shop", "--path", dir, "--kubeconfig", kubeconfig], { env: { ...process.env, PATH: `${toolsBin()}:${process.env.PATH}` } }, (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
      ),
    );
    assert.equal(down.code, 2);
    assert.match(down.stderr, /the cluster is unreachable/);
    const missing = await new Promise<Run>((done) =>
      execFile(process.execPath, [MAIN, "diff", "ks", "shop"], (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr })),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--path/);
  });
});
