// The test bed's control plane is a real, working Kubernetes API: auth, storage and controllers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "./harness/control-plane";

let cp: ControlPlane;

before(async () => {
  const t0 = Date.now();
  cp = await startControlPlane({ log: (line) => console.log(line) });
  console.log(`startControlPlane took ${Date.now() - t0} ms`);
});

after(async () => {
  await cp?.stop();
});

function client<T extends k8s.ApiType>(kubeconfig: string, api: new (config: k8s.Configuration) => T): T {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc.makeApiClient(api);
}

async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ns = `cp-test-${process.pid}`;

test("the kubeconfig points at the loopback server with the CA embedded", () => {
  assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(cp.kubeconfig.includes(`server: ${cp.server}`));
  assert.ok(cp.kubeconfig.includes(Buffer.from(cp.caPem).toString("base64")));
  assert.match(cp.adminToken, /^[0-9a-f]{64}$/);
  assert.ok(existsSync(cp.kubeconfigPath));
  assert.match(dirname(cp.kubeconfigPath), /fluxiac-cp-/);
});

test("the admin token creates a namespace and a ConfigMap and reads it back", async () => {
  const core = client(cp.kubeconfig, k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "cm" }, data: { hello: "world" } } });
  const cm = await core.readNamespacedConfigMap({ namespace: ns, name: "cm" });
  assert.deepEqual(cm.data, { hello: "world" });

  const who = await client(cp.kubeconfig, k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  assert.equal(who.status?.userInfo?.username, "fluxiac-admin");
  assert.ok(who.status?.userInfo?.groups?.includes("system:masters"));
});

test("the client-certificate kubeconfig lists namespaces as fluxiac-cert-user", async () => {
  assert.ok(!cp.certKubeconfig.includes(cp.adminToken));
  const list = await client(cp.certKubeconfig, k8s.CoreV1Api).listNamespace();
  const names = list.items.map((n) => n.metadata?.name);
  assert.ok(names.includes("default"), `namespaces: ${names.join(", ")}`);
  assert.ok(names.includes("kube-system"));

  const who = await client(cp.certKubeconfig, k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  assert.equal(who.status?.userInfo?.username, "fluxiac-cert-user");
  assert.ok(who.status?.userInfo?.groups?.includes("system:masters"));
});

test("an invalid token is rejected with 401", async () => {
  const bad = cp.kubeconfig.replace(cp.adminToken, "0".repeat(64));
  assert.notEqual(bad, cp.kubeconfig);
  await assert.rejects(client(bad, k8s.CoreV1Api).listNamespace(), (err: unknown) => {
    assert.ok(err instanceof k8s.ApiException, String(err));
    assert.equal(err.code, 401);
    return true;
  });
});

test("the controller-manager runs: default ServiceAccount, Deployment -> ReplicaSet", async () => {
  const core = client(cp.kubeconfig, k8s.CoreV1Api);
  await eventually("default ServiceAccount in the new namespace", 30_000, async () => {
    const sas = await core.listNamespacedServiceAccount({ namespace: ns });
    return sas.items.find((sa) => sa.metadata?.name === "default");
  });

  const apps = client(cp.kubeconfig, k8s.AppsV1Api);
  const labels = { app: "web" };
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: "web" },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "web", image: "example.invalid/web:1" }] } },
      },
    },
  });
  const rs = await eventually("a ReplicaSet owned by the Deployment", 30_000, async () => {
    const list = await apps.listNamespacedReplicaSet({ namespace: ns });
    return list.items.find((r) => r.metadata?.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === "web"));
  });
  assert.equal(rs.spec?.replicas, 1);
});

test("deleting the namespace finalizes it within 60 s", async () => {
  const core = client(cp.kubeconfig, k8s.CoreV1Api);
  const t0 = Date.now();
  await core.deleteNamespace({ name: ns });
  await eventually(`namespace ${ns} to disappear`, 60_000, async () => {
    try {
      await core.readNamespace({ name: ns });
      return undefined;
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) return true;
      throw err;
    }
  });
  console.log(`namespace ${ns} gone after ${Date.now() - t0} ms`);
});

test("stop() ends the processes and removes the temp dir; it is idempotent", async () => {
  const port = Number(new URL(cp.server).port);
  const dir = dirname(cp.kubeconfigPath);
  const t0 = Date.now();
  await cp.stop();
  console.log(`stop() took ${Date.now() - t0} ms`);
  await cp.stop();
  assert.equal(existsSync(dir), false, `${dir} still exists`);
  const code = await new Promise<string>((resolve) => {
    const sock = connect(port, "127.0.0.1");
    sock.once("connect", () => {
      sock.destroy();
      resolve("connected");
    });
    sock.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  assert.equal(code, "ECONNREFUSED");
});
