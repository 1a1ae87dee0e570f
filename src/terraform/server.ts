// The plugin server: go-plugin's handshake (magic cookie, protocol line, AutoMTLS) and the gRPC services
// Terraform talks to: tfplugin6.Provider, plugin.GRPCController, plugin.GRPCStdio and grpc.health.v1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { handshakeCert, serverIdentity } from "./cert";
import type { Provider } from "./provider";

/** MAGIC_COOKIE is the value Terraform sets in TF_PLUGIN_MAGIC_COOKIE. */
export const MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/** PROTO_DIR holds the .proto files; the package ships them beside the compiled code's source folder. */
const PROTO_DIR = join(__dirname, "..", "..", "..", "src", "terraform", "proto");

const MAX_MESSAGE = 256 * 1024 * 1024;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Definitions = any;

/** loadProtos loads tfplugin6, go-plugin's services and grpc.health.v1. */
export function loadProtos(): Definitions {
  const definition = protoLoader.loadSync(["tfplugin6.proto", "plugin.proto", "health.proto"], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition);
}

/** unary adapts an async handler to grpc-js; the provider reports errors as diagnostics, never as status. */
function unary(fn: (req: unknown) => unknown): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: Error) => {
          process.stderr.write(`[ERROR] ${err.stack ?? err}\n`);
          callback({ code: grpc.status.INTERNAL, details: err.message });
        },
      );
  };
}

/** ServeOptions tune serve. */
export interface ServeOptions {
  /** Where the socket is created. @default $PLUGIN_UNIX_SOCKET_DIR, else the system temp dir */
  socketDir?: string;
  /** The client's certificate (PEM); without it, the server speaks plaintext. @default $PLUGIN_CLIENT_CERT */
  clientCert?: string;
  /** Where the handshake line goes. @default stdout */
  out?: (line: string) => void;
}

/**
 * serve starts the plugin server on a unix socket and prints go-plugin's handshake line
 * (`1|6|unix|<socket>|grpc|<cert>`). Shutdown through the controller, or `close()`, stops it.
 */
export async function serve(provider: Provider, opts: ServeOptions = {}): Promise<{ address: string; close(): void }> {
  const protos = loadProtos();
  const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_MESSAGE, "grpc.max_send_message_length": MAX_MESSAGE });
  const rpcs = Object.keys(protos.tfplugin6.Provider.service).filter((name) => typeof (provider as unknown as Record<string, unknown>)[name] === "function");
  server.addService(
    protos.tfplugin6.Provider.service,
    Object.fromEntries(rpcs.map((name) => [name, unary((req) => (provider as unknown as Record<string, (r: unknown) => unknown>)[name](req))])),
  );
  const dir = mkdtempSync(join(opts.socketDir ?? process.env.PLUGIN_UNIX_SOCKET_DIR ?? tmpdir(), "fluxiac-plugin-"));
  const close = () => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  // The socket's directory goes however the process ends, short of SIGKILL.
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  process.on("SIGTERM", () => {
    close();
    process.exit(0);
  });
  server.addService(protos.plugin.GRPCController.service, {
    Shutdown: unary(() => {
      setTimeout(() => {
        close();
        process.exit(0);
      }, 5);
      return {};
    }),
  });
  server.addService(protos.plugin.GRPCStdio.service, {
    // Logs go to stderr, which go-plugin reads itself; the stream has nothing to carry.
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  server.addService(protos.grpc.health.v1.Health.service, { Check: unary(() => ({ status: "SERVING" })) });

  const clientCert = opts.clientCert ?? process.env.PLUGIN_CLIENT_CERT;
  const identity = clientCert ? serverIdentity() : undefined;
  const credentials = identity
    ? grpc.ServerCredentials.createSsl(Buffer.from(clientCert!), [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certPem) }], true)
    : grpc.ServerCredentials.createInsecure();
  const socket = join(dir, "plugin.sock");
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socket}`, credentials, (err) => (err ? reject(err) : resolve())));
  const line = `1|6|unix|${socket}|grpc|${identity ? handshakeCert(identity.certDer) : ""}\n`;
  (opts.out ?? ((l: string) => process.stdout.write(l)))(line);
  return { address: socket, close };
}
