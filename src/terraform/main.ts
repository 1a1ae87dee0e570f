#!/usr/bin/env node
// terraform-provider-fluxiac: the entry point Terraform starts (through the wrapper that
// `fluxiac terraform install` writes). Nothing may reach stdout before the handshake line.
import "../compile-cache";
import { Provider } from "./provider";
import { resourceTypes } from "./resources";
import { MAGIC_COOKIE, serve } from "./server";

if (process.env.TF_PLUGIN_MAGIC_COOKIE !== MAGIC_COOKIE) {
  process.stderr.write(
    "This is fluxiac's Terraform provider. It is not meant to be run directly: install it with `fluxiac terraform install`, then run terraform.\n",
  );
  process.exit(1);
}
const versions = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? "6").split(",").map((v) => v.trim());
if (!versions.includes("6")) {
  process.stderr.write(`fluxiac's provider speaks plugin protocol 6; this Terraform offers ${versions.join(", ")}. Use Terraform 1.0 or later.\n`);
  process.exit(1);
}
// Terraform sends Ctrl-C to the whole process group, then StopProvider: exiting here would break an apply.
process.on("SIGINT", () => {});
serve(new Provider(resourceTypes))
  .then(() => {
    if (process.env.FLUXIAC_DEBUG) process.stderr.write(`[DEBUG] handshake ${Math.round(performance.now())} ms after process start (${Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000)} ms of CPU)\n`);
  })
  .catch((err: Error) => {
  process.stderr.write(`[ERROR] fluxiac provider: ${err.message}\n`);
  process.exit(1);
});
