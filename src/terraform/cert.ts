// The plugin's TLS identity for go-plugin's AutoMTLS: a fresh self-signed ECDSA P-256 certificate for
// "localhost" (the name Terraform's client verifies), valid for both ends as go-plugin's own.
import { generateKeyPairSync } from "node:crypto";
import * as sshpk from "sshpk";

/** ServerIdentity is the certificate (PEM and DER) and its private key (PEM). */
export interface ServerIdentity {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
}

/** serverIdentity makes a self-signed certificate with SAN DNS:localhost, valid from 30 s ago for a year. */
export function serverIdentity(): ServerIdentity {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const key = sshpk.parsePrivateKey(keyPem, "pem");
  const cert = sshpk.createSelfSignedCertificate(sshpk.identityForHost("localhost"), key, {
    validFrom: new Date(Date.now() - 30_000),
    lifetime: 365 * 24 * 3600,
    purposes: ["signature", "keyEncryption", "keyAgreement", "ca", "serverAuth", "clientAuth"],
    serial: Buffer.from(Date.now().toString(16).padStart(16, "0"), "hex"),
  });
  return { certPem: cert.toString("pem"), certDer: cert.toBuffer("x509"), keyPem };
}

/** handshakeCert is the certificate as go-plugin's handshake line carries it: base64 of the DER, no padding. */
export function handshakeCert(der: Buffer): string {
  return der.toString("base64").replace(/=+$/, "");
}
