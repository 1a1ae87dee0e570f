// A TCP listener that accepts connections and never answers: an "unreachable" Git host for timeout tests.
import { createServer, type Socket } from "node:net";

/** SilentServer is a running silent listener on 127.0.0.1. */
export interface SilentServer {
  port: number;
  /** connections counts the accepted connections. */
  connections(): number;
  stop(): Promise<void>;
}

/** startSilentServer listens on a free port and holds every connection open without a byte. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const srv = createServer((s) => {
    count++;
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve());
  });
  srv.unref();
  const addr = srv.address();
  if (!addr || typeof addr !== "object") throw new Error("silent server has no address");
  return {
    port: addr.port,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
