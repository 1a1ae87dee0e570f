// Test PKI and ports for the test bed's servers: a throwaway CA (openssl, EC P-256, valid 2 days) that
// issues serving and client certificates, and free loopback ports.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";

/** freePorts binds n listeners on 127.0.0.1:0 at once (so the ports are distinct), then closes them. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => {
      const addr = s.address();
      if (!addr || typeof addr === "string") throw new Error("listener has no port");
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** freePort returns one free loopback port. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/** IssuedCert is a certificate and its key, as files and as PEM text. */
export interface IssuedCert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** TestCa is a throwaway certificate authority. */
export interface TestCa {
  caCert: string;
  caKey: string;
  caPem: string;
  /**
   * issue signs a certificate: "server" certs are valid for 127.0.0.1 and localhost; "client" certs carry
   * the subject (e.g. "/O=system:masters/CN=user").
   */
  issue(name: string, usage: "server" | "client", subject?: string): Promise<IssuedCert>;
}

/** makeTestCa writes a new CA into dir. */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const f = (name: string) => join(dir, name);
  const cnf = f("openssl.cnf");
  await writeFile(cnf, OPENSSL_CONFIG);
  const cert = (ext: string, subj: string, key: string, out: string, signer: string[]) =>
    openssl([
      "req", "-x509", "-config", cnf, "-extensions", ext, ...signer,
      "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", key, "-out", out, "-subj", subj, "-days", "2",
    ]);
  await cert("ca", "/CN=fluxiac-test-ca", f("ca.key"), f("ca.crt"), []);
  const byCA = ["-CA", f("ca.crt"), "-CAkey", f("ca.key")];
  return {
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    caPem: readFileSync(f("ca.crt"), "utf8"),
    async issue(name, usage, subject) {
      const certFile = f(`${name}.crt`);
      const keyFile = f(`${name}.key`);
      await cert(usage, subject ?? `/CN=${name}`, keyFile, certFile, byCA);
      return { certFile, keyFile, certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
    },
  };
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.slice(0, 2).join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}
