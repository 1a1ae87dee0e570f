// `fluxiac push artifact` as a user runs it: the built CLI in a child process against the real registry.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { extract } from "../../src/core/artifact/archive";
import { ArtifactStore } from "../../src/core/artifact/store";
import { silentLogger } from "../../src/core/log";
import { planOCIRepository } from "../../src/core/reconcile/oci-repository";
import { startOCIRegistry, type OCIRegistry } from "../harness/oci-registry";

const scratch = mkdtempSync(join(tmpdir(), "fluxiac-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CLI = resolve(__dirname, "..", "..", "src", "cli", "main.js");

/** fluxiac runs the CLI and returns its exit code and output. */
function fluxiac(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("fluxiac push artifact", () => {
  let reg: OCIRegistry;
  let tls: OCIRegistry;
  let dir: string;

  before(async () => {
    [reg, tls] = await Promise.all([startOCIRegistry({ parent: scratch, auth: "htpasswd" }), startOCIRegistry({ parent: scratch, tls: true })]);
    dir = await mkdtemp(join(scratch, "src-"));
    await mkdir(join(dir, "deploy"));
    await writeFile(join(dir, "deploy", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pushed\n");
  });
  after(async () => {
    await reg?.stop();
    await tls?.stop();
  });

  test("pushes like flux push artifact, and the artifact pulls back with the same content", async () => {
    const url = `${reg.url("cli/app")}:v1.0.0`;
    const res = await fluxiac(
      ["push", "artifact", dir, url, "--insecure", "--creds", reg.username, "--source", "https://git.example/app", "--revision", "main@sha1:" + "a".repeat(40), "--annotation", "team=platform"],
      { FLUXIAC_REGISTRY_PASSWORD: reg.password },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`^► pushing artifact to ${reg.host}/cli/app:v1.0.0\n✔ artifact successfully pushed to ${reg.host}/cli/app@sha256:[0-9a-f]{64}\n$`));
    const pushed = res.stdout.trim();
    assert.match(pushed, new RegExp(`^oci://${reg.host}/cli/app@sha256:[0-9a-f]{64}$`));
    const digest = pushed.slice(pushed.indexOf("@") + 1);

    const store = new ArtifactStore(await mkdtemp(join(scratch, "store-")));
    const { artifact } = await planOCIRepository(
      "cli",
      { url: reg.url("cli/app"), ref: { tag: "v1.0.0" }, insecure: true, auth: { username: reg.username, password: reg.password } },
      undefined,
      { store, log: silentLogger },
    );
    assert.equal(artifact.revision, `v1.0.0@${digest}`);
    assert.equal(artifact.metadata?.["org.opencontainers.image.source"], "https://git.example/app");
    assert.equal(artifact.metadata?.["org.opencontainers.image.revision"], "main@sha1:" + "a".repeat(40));
    assert.equal(artifact.metadata?.team, "platform");
    const out = await mkdtemp(join(scratch, "out-"));
    await extract(store.path(artifact.digest), out);
    assert.equal(await readFile(join(out, "deploy", "cm.yaml"), "utf8"), await readFile(join(dir, "deploy", "cm.yaml"), "utf8"));
  });

  test("--docker-config and --ca-file reach a TLS registry", async () => {
    const config = join(scratch, "config.json");
    await writeFile(config, JSON.stringify({ auths: {} }));
    const ca = join(scratch, "ca.pem");
    await writeFile(ca, tls.caPem!);
    const res = await fluxiac(["push", "artifact", dir, `${tls.url("cli/app")}:v1`, "--ca-file", ca, "--docker-config", config]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^oci://${tls.host}/cli/app@sha256:[0-9a-f]{64}\n$`));
  });

  test("failures print ✗ with the fix and exit 1, never echoing the password", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["push", "artifact", dir, `${reg.url("cli/app")}:v2`, "--insecure", "--creds", `${reg.username}:hunter2-wrong`], {}, /✗ pushing to .*cli\/app:v2 failed: authentication to 127.0.0.1:\d+ failed: check the credentials in auth/],
      [["push", "artifact", dir, `${reg.url("cli/app")}:v2`, "--insecure", "--creds", reg.username], {}, /✗ --creds "fluxiac" has no password: set FLUXIAC_REGISTRY_PASSWORD/],
      [["push", "artifact", dir, `${reg.url("cli/app")}:v2`, "--creds", `${reg.username}:x`], {}, /does not speak HTTPS; if the registry serves plain HTTP, set insecure: true/],
      [["push", "artifact", dir, `${tls.url("cli/app")}:v2`], {}, /the TLS certificate of 127.0.0.1:\d+ is not trusted/],
      [["push", "artifact", dir, "https://example.com/app:v1"], {}, /✗ "https:\/\/example.com\/app:v1" must start with oci:\/\//],
    ];
    for (const [args, env, message] of cases) {
      const res = await fluxiac(args, env);
      assert.equal(res.code, 1, args.join(" "));
      assert.match(res.stderr, message);
      assert.equal(res.stderr.includes("hunter2"), false);
      assert.equal(res.stdout, "");
    }
  });
});
