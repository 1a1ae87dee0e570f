// Kustomization build options under the real Pulumi engine: a postBuild substitution from a ConfigMap and
// SOPS Secrets decrypted with an age key and an inline PGP key reach the cluster; no key nor value reaches state.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../harness/control-plane";
import { startGitServer, type GitRepo, type GitServer } from "../harness/git-server";
import { pgpKey, sopsPgpEnv, stopAgent } from "../harness/pgp";
import { pulumiProgram, type PulumiProgram } from "../harness/pulumi";
import { tool } from "../harness/tools";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { GitRepository, Kustomization } = require("fluxiac/pulumi");
const cfg = new pulumi.Config();
const repo = new GitRepository("apps", { url: cfg.require("url"), ref: { branch: "main" } });
const ks = new Kustomization("apps", {
  sourceRef: repo,
  path: "./deploy",
  prune: true,
  kubeconfig: cfg.requireSecret("kubeconfig"),
  targetNamespace: "apps",
  commonMetadata: { labels: { team: "platform" } },
  postBuild: {
    substituteFrom: [{ kind: "ConfigMap", name: "cluster-vars" }],
    substitute: { greeting: cfg.get("greeting") || "hello" },
  },
  decryption: { provider: "sops", keys: [cfg.requireSecret("ageKey"), cfg.requireSecret("pgpKey")] },
});
exports.inventory = ks.inventory;
exports.plan = ks.plan;
`;

const PASSWORD = "s3cret-value-that-must-stay-out-of-state";

describe("Kustomization build options under pulumi up", () => {
  let cp: ControlPlane;
  let git: GitServer;
  let repo: GitRepo;
  let prog: PulumiProgram;
  let core: k8s.CoreV1Api;
  const scratch = mkdtempSync(join(tmpdir(), "fluxiac-pulumi-ks-build-"));
  const engineLog: string[] = [];
  const keygen = execFileSync(tool("age-keygen"), [], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const ageKey = /AGE-SECRET-KEY-1\S+/.exec(keygen)![0];
  const recipient = /public key: (age1\S+)/.exec(keygen)![1];
  const pgp = pgpKey(scratch, "fluxiac-pulumi");
  /** pgpBody is a line of the armoured key's body: were the key in plain state, it would be there. */
  const pgpBody = pgp.armored.split("\n").find((l) => l.length > 40)!;

  const encrypt = (yaml: string, to: "age" | "pgp" = "age"): string => {
    const file = join(scratch, "secret.yaml");
    writeFileSync(file, yaml);
    const key = to === "age" ? ["--age", recipient] : ["--pgp", pgp.fingerprint];
    return execFileSync(tool("sops"), ["encrypt", ...key, "--encrypted-regex", "^(data|stringData)$", file], { encoding: "utf8", env: to === "pgp" ? sopsPgpEnv(pgp) : process.env });
  };

  before(async () => {
    [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of ["apps", "flux-system"]) await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({ namespace: "flux-system", body: { metadata: { name: "cluster-vars" }, data: { region: "eu-west-1" } } });
    repo = await git.createRepo("fleet");
    await repo.commit({
      "deploy/settings.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  region: "${region}"\n  greeting: "${greeting}"\n',
      "deploy/db.yaml": encrypt(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${PASSWORD}\n`),
      "deploy/db-pgp.yaml": encrypt(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-pgp\nstringData:\n  password: ${PASSWORD}\n`, "pgp"),
    });
    prog = await pulumiProgram("ks-build", PROGRAM, {
      config: { url: { value: repo.fileUrl }, kubeconfig: { value: cp.kubeconfig, secret: true }, ageKey: { value: ageKey, secret: true }, pgpKey: { value: pgp.armored, secret: true } },
    });
  });

  after(async () => {
    await prog?.cleanup();
    stopAgent(pgp);
    await Promise.all([cp?.stop(), git?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the substituted ConfigMap and the decrypted Secret reach the cluster; state holds neither the key nor the value", async () => {
    const res = await prog.stack.up({ onOutput: (o) => engineLog.push(o) });
    assert.deepEqual(
      res.outputs.inventory.value.entries.map((e: { id: string }) => e.id),
      ["apps_db-pgp__Secret", "apps_db__Secret", "apps_settings__ConfigMap"],
    );
    const settings = await core.readNamespacedConfigMap({ name: "settings", namespace: "apps" });
    assert.deepEqual(settings.data, { region: "eu-west-1", greeting: "hello" });
    assert.equal(settings.metadata?.labels?.team, "platform");
    const db = await core.readNamespacedSecret({ name: "db", namespace: "apps" });
    assert.equal(Buffer.from(db.data!.password, "base64").toString(), PASSWORD);
    const dbPgp = await core.readNamespacedSecret({ name: "db-pgp", namespace: "apps" });
    assert.equal(Buffer.from(dbPgp.data!.password, "base64").toString(), PASSWORD, "the PGP-encrypted Secret is decrypted too");

    const state = await prog.rawState();
    assert.ok(state.includes("apps_db__Secret"), "the state was read");
    assert.equal(state.includes(ageKey), false, "the age key never reaches plain state");
    assert.equal(state.includes(pgpBody) || state.includes("PRIVATE KEY BLOCK"), false, "nor the PGP key");
    assert.equal(state.includes(PASSWORD), false, "the decrypted value never reaches plain state");
    assert.equal(engineLog.join("").includes(ageKey) || engineLog.join("").includes(pgpBody) || engineLog.join("").includes(PASSWORD), false, "nor the engine's output");
  });

  test("a changed inline variable shows as an update in preview and applies; an unchanged stack previews no change", async () => {
    await prog.setConfig({ greeting: { value: "bonjour" } });
    const pv = await prog.stack.preview({ diff: true, onOutput: (o) => engineLog.push(o) });
    assert.equal(pv.changeSummary.update, 1, `the Kustomization changes: ${JSON.stringify(pv.changeSummary)}\n${pv.stdout}`);
    assert.equal((await core.readNamespacedConfigMap({ name: "settings", namespace: "apps" })).data?.greeting, "hello", "preview changed nothing");
    const res = await prog.stack.up({ onOutput: (o) => engineLog.push(o) });
    assert.deepEqual(res.outputs.plan.value.update, ["apps_settings__ConfigMap"]);
    assert.equal((await core.readNamespacedConfigMap({ name: "settings", namespace: "apps" })).data?.greeting, "bonjour");
    const again = await prog.stack.preview({ diff: true, onOutput: (o) => engineLog.push(o) });
    assert.equal(again.changeSummary.update ?? 0, 0, `no change after up: ${JSON.stringify(again.changeSummary)}\n${again.stdout}`);
    assert.equal(engineLog.join("").includes(PASSWORD), false, "the decrypted value never reaches the preview");
  });
});
