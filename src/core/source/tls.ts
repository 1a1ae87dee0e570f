// TLS settings shared by every source that talks HTTPS: Flux's certSecretRef keys as plain data.

/** TLSConfig is Flux's `certSecretRef` (keys `ca.crt`, `tls.crt`, `tls.key`) as values. Stored as a secret. */
export interface TLSConfig {
  /** PEM CA bundle that signs the server's certificate (`ca.crt`). */
  caCert?: string;
  /** PEM client certificate for mutual TLS (`tls.crt`). */
  cert?: string;
  /** PEM private key of the client certificate (`tls.key`). */
  key?: string;
}
