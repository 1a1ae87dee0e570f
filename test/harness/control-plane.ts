// A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) for the test suite:
// loopback ports only, fresh TLS material and an admin token per run, everything inside one temp dir.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, openSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, makeTestCa } from "./pki";
import { tool } from "./tools";

/** ControlPlane is a running etcd + kube-apiserver + kube-controller-manager, ready for requests. */
export interface ControlPlane {
  /** kubeconfig file content (YAML), user with admin token, server https://127.0.0.1:<port>, CA data embedded */
  kubeconfig: string;
  /** path of that kubeconfig written to disk inside the control plane's temp dir */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the CA that signed the apiserver serving cert */
  caPem: string;
  /** bearer token of a system:masters user */
  adminToken: string;
  /** kubeconfig (YAML) authenticating with a client certificate (CN=fluxiac-cert-user, O=system:masters) instead of a token */
  certKubeconfig: string;
  /** killApiServer sends SIGKILL to kube-apiserver now (synchronously), to interrupt a client mid-request; etcd keeps running */
  killApiServer(): void;
  /** startApiServer starts kube-apiserver again on the same port and etcd, and resolves once it is ready */
  startApiServer(): Promise<void>;
  /** stop every process (SIGTERM, then SIGKILL after 5 s) and delete the temp dir; idempotent */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const KILL_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;

// One child process whose stdout and stderr go to a log file in the temp dir.
interface Proc {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** set once the process has exited */
  exit?: string;
  exited: Promise<void>;
}

/** startControlPlane starts etcd, kube-apiserver and kube-controller-manager on free loopback ports and resolves once all are ready. */
export async function startControlPlane(opts: { log?: (line: string) => void } = {}): Promise<ControlPlane> {
  const t0 = Date.now();
  const log = (line: string) => opts.log?.(`[control-plane +${Date.now() - t0}ms] ${line}`);
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-cp-"));
  const procs: Proc[] = [];

  // Kill the children synchronously if the test process exits (or is signalled) without stop().
  const killAllSync = () => {
    for (const p of procs) if (p.exit === undefined) p.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killAllSync();
    unhook();
    // Re-raise when nobody else handles the signal, so the default action (terminate) still happens.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const unhook = () => {
    process.removeListener("exit", killAllSync);
    for (const s of signals) process.removeListener(s, onSignal);
  };
  process.on("exit", killAllSync);
  for (const s of signals) process.on(s, onSignal);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // The apiserver and controller-manager first, so they don't spend their shutdown retrying etcd.
      await Promise.all(procs.filter((p) => p.name !== "etcd").map(terminate));
      await Promise.all(procs.map(terminate));
      await rm(dir, { recursive: true, force: true });
      unhook();
    })());

  try {
    const [etcdClientPort, etcdPeerPort, apiPort, kcmPort] = await freePorts(4);
    const server = `https://127.0.0.1:${apiPort}`;

    // etcd needs no certificates: start it first and make the TLS material while it boots.
    const etcdURL = `http://127.0.0.1:${etcdClientPort}`;
    const peerURL = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = launch(procs, dir, "etcd", tool("etcd"), [
      "--name=fluxiac",
      `--data-dir=${join(dir, "etcd-data")}`,
      `--listen-client-urls=${etcdURL}`,
      `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=${peerURL}`,
      `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=fluxiac=${peerURL}`,
      "--initial-cluster-state=new",
      "--unsafe-no-fsync",
      // A lone member still waits out most of an election timeout (1 s by default) before it leads.
      "--heartbeat-interval=10",
      "--election-timeout=100",
    ]);

    const pki = await makePki(dir);
    const adminToken = randomBytes(32).toString("hex");
    const tokensPath = join(dir, "tokens.csv");
    await writeFile(tokensPath, `${adminToken},fluxiac-admin,fluxiac-admin,"system:masters"\n`, { mode: 0o600 });
    const caData = Buffer.from(pki.caPem).toString("base64");
    const kubeconfig = kubeconfigYaml(server, caData, "fluxiac-admin", { token: adminToken });
    const kubeconfigPath = join(dir, "kubeconfig.yaml");
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    const certKubeconfig = kubeconfigYaml(server, caData, "fluxiac-cert-user", {
      "client-certificate-data": Buffer.from(pki.clientCertPem).toString("base64"),
      "client-key-data": Buffer.from(pki.clientKeyPem).toString("base64"),
    });
    log("TLS material written");

    await waitUntil(etcd, async () => {
      const r = await get(`${etcdURL}/health`);
      return r.status === 200 && r.body.includes('"health":"true"');
    });
    log("etcd healthy");

    const apiserverArgs = [
      `--etcd-servers=${etcdURL}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokensPath}`,
      "--authorization-mode=Node,RBAC",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--disable-admission-plugins=ServiceAccount",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      // The default "lease" reconciler keeps trying to put 127.0.0.1 into Endpoints/kubernetes, which
      // validation refuses (loopback), logging an error every 10 s; the kubernetes Service is created anyway.
      "--endpoint-reconciler-type=none",
    ];
    const auth = { ca: pki.caPem, token: adminToken };
    let apiserver = launch(procs, dir, "kube-apiserver", tool("kube-apiserver"), apiserverArgs);
    await waitUntil(apiserver, async () => (await get(`${server}/readyz`, auth)).status === 200);
    const killApiServer = () => {
      if (apiserver.exit === undefined) apiserver.child.kill("SIGKILL");
    };
    const startApiServer = async () => {
      await waitForExit(apiserver);
      apiserver = launch(procs, dir, "kube-apiserver", tool("kube-apiserver"), apiserverArgs);
      await waitUntil(apiserver, async () => (await get(`${server}/readyz`, auth)).status === 200);
    };
    log("kube-apiserver ready");

    const kcmKubeconfig = join(dir, "controller-manager.kubeconfig");
    await writeFile(kcmKubeconfig, kubeconfig, { mode: 0o600 });
    const kcm = launch(procs, dir, "kube-controller-manager", tool("kube-controller-manager"), [
      `--kubeconfig=${kcmKubeconfig}`,
      "--leader-elect=false",
      "--controllers=*",
      "--use-service-account-credentials=false",
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, "controller-manager-certs")}`,
      // Serve with the apiserver's cert (SAN 127.0.0.1) so /healthz can be checked against our CA.
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
    ]);
    await Promise.all([
      waitUntil(apiserver, async () => (await get(`${server}/api/v1/namespaces/default`, auth)).status === 200, "namespace default"),
      waitUntil(kcm, async () => (await get(`https://127.0.0.1:${kcmPort}/healthz`, { ca: pki.caPem })).status === 200),
    ]);
    log(`kube-controller-manager healthy; control plane up in ${Date.now() - t0} ms`);

    return { kubeconfig, kubeconfigPath, server, caPem: pki.caPem, adminToken, certKubeconfig, killApiServer, startApiServer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// launch spawns one binary with its output appended to <dir>/<name>.log.
function launch(procs: Proc[], dir: string, name: string, bin: string, args: string[]): Proc {
  const logPath = join(dir, `${name}.log`);
  const fd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { cwd: dir, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  // Don't let a forgotten stop() keep the test process alive; the exit hook then kills the child.
  child.unref();
  const proc: Proc = { name, child, logPath, exited: undefined as unknown as Promise<void> };
  proc.exited = new Promise((resolve) => {
    child.once("error", (err) => {
      proc.exit ??= `failed to start: ${err.message}`;
      resolve();
    });
    child.once("exit", (code, signal) => {
      proc.exit ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });
  procs.push(proc);
  return proc;
}

// terminate sends SIGTERM, then SIGKILL after KILL_GRACE_MS, and waits for the exit.
async function terminate(p: Proc): Promise<void> {
  if (p.exit !== undefined) return;
  p.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      p.child.kill("SIGKILL");
      resolve();
    }, KILL_GRACE_MS);
  });
  await Promise.race([waitForExit(p), killed]);
  clearTimeout(timer);
  await waitForExit(p);
}

// waitForExit resolves once p has exited. The child is unref'd (see launch), so while something waits for its exit
// it must hold the event loop open itself: otherwise, with nothing else pending, Node ends the loop before the exit
// event arrives and the waiting test is cancelled with "Promise resolution is still pending".
async function waitForExit(p: Proc): Promise<void> {
  if (p.exit !== undefined) return;
  p.child.ref();
  try {
    await p.exited;
  } finally {
    p.child.unref();
  }
}

// waitUntil polls check until it returns true; it fails fast when proc exits and at the deadline,
// either way with the tail of proc's log.
async function waitUntil(proc: Proc, check: () => Promise<boolean>, what = proc.name): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "";
  for (;;) {
    if (proc.exit !== undefined) throw new Error(`${proc.name} ${proc.exit} while waiting for ${what}${await logTail(proc)}`);
    try {
      if (await check()) return;
      last = "not ready";
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${READY_TIMEOUT_MS / 1000} s (last: ${last})${await logTail(proc)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function logTail(proc: Proc): Promise<string> {
  let text: string;
  try {
    text = await readFile(proc.logPath, "utf8");
  } catch {
    return "";
  }
  const lines = text.trimEnd().split("\n").slice(-LOG_TAIL_LINES);
  return `\n--- last ${lines.length} lines of ${proc.name}'s log ---\n${lines.join("\n")}`;
}

// get does one GET with a short timeout; https URLs are verified against ca.
function get(url: string, opts: { ca?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
    const options = { method: "GET", headers, timeout: 5_000, agent: false as const };
    const req = url.startsWith("https:") ? httpsRequest(url, { ...options, ca: opts.ca }) : httpRequest(url, options);
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

// makePki writes a CA, the apiserver serving cert, the admin client cert and the service-account
// signing key pair into dir.
async function makePki(dir: string) {
  const ca = await makeTestCa(dir);
  const sa = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const [serving, client] = await Promise.all([
    ca.issue("apiserver", "server", "/CN=kube-apiserver"),
    ca.issue("client", "client", "/O=system:masters/CN=fluxiac-cert-user"),
    writeFile(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 }),
    writeFile(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" })),
  ]);
  return {
    caCert: ca.caCert,
    caKey: ca.caKey,
    caPem: ca.caPem,
    servingCert: serving.certFile,
    servingKey: serving.keyFile,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
}

// kubeconfigYaml renders a one-cluster, one-user kubeconfig. Credentials are double-quoted (JSON strings are
// YAML strings): unquoted, a hex token made only of digits would be read back as a number.
function kubeconfigYaml(server: string, caData: string, user: string, credentials: Record<string, string>): string {
  const cred = Object.entries(credentials)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
    .join("");
  return `apiVersion: v1
kind: Config
clusters:
- name: fluxiac
  cluster:
    server: ${server}
    certificate-authority-data: ${caData}
users:
- name: ${user}
  user:
${cred}contexts:
- name: fluxiac
  context:
    cluster: fluxiac
    user: ${user}
current-context: fluxiac
`;
}
