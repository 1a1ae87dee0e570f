// The plugin process as go-plugin sees it: the magic cookie, the handshake line, AutoMTLS with the
// client's certificate, the provider service, the controller's Shutdown, and SIGINT ignored.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../harness/proc";
import * as grpc from "@grpc/grpc-js";
import { serverIdentity } from "../../src/terraform/cert";
import { platform } from "../../src/terraform/install";
import { decodeValue } from "../../src/terraform/msgpack";
import { loadProtos, MAGIC_COOKIE } from "../../src/terraform/server";

const MAIN = join(__dirname, "..", "..", "src", "terraform", "main.js");
const CLI = join(__dirname, "..", "..", "src", "cli", "main.js");

type Unary<T> = (req: object, callback: (err: Error | null, res: T) => void) => void;

interface Plugin {
  child: ChildProcess;
  line: string;
  ms: number;
  exited: Promise<number | null>;
}

/** startPlugin runs the provider as Terraform does and resolves with its handshake line. */
function startPlugin(env: Record<string, string>): Promise<Plugin> {
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ child, line: out.split("\n")[0], ms: Date.now() - started, exited });
    });
    exited.then((code) => reject(Object.assign(new Error(`plugin exited ${code}: ${err}`), { code, stderr: err })));
  });
}

describe("the plugin process", () => {
  const client = serverIdentity();
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill("SIGKILL")));

  test("without Terraform's magic cookie it explains itself and exits 1", async () => {
    const err = (await startPlugin({}).then(() => undefined, (e) => e)) as { code: number; stderr: string };
    assert.equal(err.code, 1);
    assert.match(err.stderr, /not meant to be run directly: install it with `fluxiac terraform install`/);
  });

  test("it prints the handshake, serves the provider over mutual TLS, ignores SIGINT and exits on Shutdown", async () => {
    const plugin = await startPlugin({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS: "5,6", PLUGIN_CLIENT_CERT: client.certPem });
    children.push(plugin.child);
    const [core, version, network, address, protocol, cert] = plugin.line.split("|");
    assert.deepEqual([core, version, network, protocol], ["1", "6", "unix", "grpc"]);
    assert.ok(existsSync(address), "the socket exists");
    assert.equal(cert.endsWith("="), false, "unpadded base64");
    const serverCert = new X509Certificate(Buffer.from(cert, "base64"));
    assert.equal(serverCert.subjectAltName, "DNS:localhost");
    process.stderr.write(`# handshake after ${plugin.ms} ms\n`);

    const protos = loadProtos();
    const options = { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "localhost" };
    const tls = grpc.credentials.createSsl(Buffer.from(serverCert.toString()), Buffer.from(client.keyPem), Buffer.from(client.certPem));
    const provider = new protos.tfplugin6.Provider(`unix:${address}`, tls, options);
    const call = <T>(svc: grpc.Client, method: string, req: object) =>
      new Promise<T>((resolve, reject) => (svc as unknown as Record<string, Unary<T>>)[method](req, (e, r) => (e ? reject(e) : resolve(r))));

    plugin.child.kill("SIGINT");
    const schema = await call<{ resource_schemas: Record<string, { block: { attributes: { name: string }[] } }> }>(provider, "GetProviderSchema", {});
    assert.ok(schema.resource_schemas.fluxiac_kustomization.block.attributes.some((a) => a.name === "source_ref"), "the schema lists source_ref");
    const upgraded = await call<{ upgraded_state: { msgpack: Buffer } }>(provider, "UpgradeResourceState", {
      type_name: "fluxiac_git_repository",
      version: 0,
      raw_state: { json: Buffer.from(JSON.stringify({ name: "apps", url: "file:///x" })) },
    });
    const state = decodeValue(upgraded.upgraded_state.msgpack, ["object", { name: "string", url: "string", artifact: ["object", { revision: "string" }] }]);
    assert.deepEqual(state, { name: "apps", url: "file:///x", artifact: null });

    const stranger = serverIdentity();
    const refused = new protos.tfplugin6.Provider(`unix:${address}`, grpc.credentials.createSsl(Buffer.from(serverCert.toString()), Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)), options);
    await assert.rejects(call(refused, "GetProviderSchema", {}), "a client without Terraform's certificate is refused");

    const controller = new protos.plugin.GRPCController(`unix:${address}`, tls, options);
    await call(controller, "Shutdown", {});
    assert.equal(await plugin.exited, 0, "Shutdown ends the process");
    assert.equal(existsSync(address), false, "the socket is removed");
    for (const c of [provider, refused, controller]) c.close();
  });
});

describe("the plugin process ended by SIGTERM", () => {
  test("removes its socket directory", async () => {
    const plugin = await startPlugin({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS: "6", PLUGIN_CLIENT_CERT: serverIdentity().certPem });
    const socket = plugin.line.split("|")[3];
    assert.ok(existsSync(socket));
    plugin.child.kill("SIGTERM");
    assert.equal(await plugin.exited, 0);
    assert.equal(existsSync(dirname(socket)), false, "nothing is left in the temp dir");
  });
});

describe("fluxiac terraform install", () => {
  const mirror = mkdtempSync(join(tmpdir(), "fluxiac-tf-install-"));
  after(() => rmSync(mirror, { recursive: true, force: true }));

  test("writes an executable wrapper into the mirror's layout, prints its lock hash, and the wrapper runs the plugin", async () => {
    const version = (JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string }).version;
    const r = await run(process.execPath, [CLI, "terraform", "install", "--dir", mirror], { env: { PATH: process.env.PATH } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^h1:[A-Za-z0-9+/]{43}=$/, "stdout is the h1: hash alone");
    const wrapper = join(mirror, "registry.terraform.io", "fluxiac", "fluxiac", version, platform(), `terraform-provider-fluxiac_v${version}`);
    assert.equal(statSync(wrapper).mode & 0o777, 0o755);
    const script = readFileSync(wrapper, "utf8");
    assert.ok(script.startsWith("#!/bin/sh\nexec "), "the wrapper execs, so Terraform's kill reaches Node");
    assert.ok(script.includes(process.execPath) && script.includes(MAIN), "with the installing Node on the package's plugin entry point");
    const direct = await run(wrapper, [], { env: { PATH: "/usr/bin:/bin" } });
    assert.equal(direct.code, 1);
    assert.match(direct.stderr, /This is fluxiac's Terraform provider/);
  });
});
