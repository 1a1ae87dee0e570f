// Attribute groups several resources share.
import { obj, str } from "../schema";

/** tlsAttr is Flux's certSecretRef keys as PEM values (ca.crt, tls.crt, tls.key). Sensitive. */
export const tlsAttr = obj(
  "CA bundle (ca_cert) and client certificate (cert, key) for https:// URLs.",
  { ca_cert: str("PEM CA bundle that signs the server's certificate."), cert: str("PEM client certificate for mutual TLS."), key: str("PEM private key of cert.") },
  { optional: true, sensitive: true },
);
