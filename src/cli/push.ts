// `fluxiac push artifact <dir> <oci://host/repo:tag>`: flux push artifact, with fluxiac's own client.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parseDuration } from "../core/duration";
import { errorMessage } from "../core/errors";
import type { OCIAuth } from "../core/source/oci-types";
import { pushArtifact } from "../core/source/oci/push";
import { formatOCIReference, parseOCIReference } from "../core/source/oci/reference";
import type { CliOutput } from "./output";

/** PushArtifactFlags are the command's options, as commander parses them. */
interface PushArtifactFlags {
  source?: string;
  revision?: string;
  annotation: string[];
  creds?: string;
  dockerConfig?: string;
  insecure?: boolean;
  caFile?: string;
  ignorePaths?: string;
  timeout: string;
}

/** PASSWORD_ENV holds the registry password when --creds gives only a user name. */
export const PASSWORD_ENV = "FLUXIAC_REGISTRY_PASSWORD";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** parseAnnotations reads repeated `--annotation key=value` flags. */
export function parseAnnotations(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`--annotation "${v}" must be key=value`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** credentials reads --creds user[:password] (the password may come from FLUXIAC_REGISTRY_PASSWORD) or --docker-config. */
async function credentials(flags: PushArtifactFlags, env: NodeJS.ProcessEnv): Promise<OCIAuth | undefined> {
  if (flags.creds !== undefined && flags.dockerConfig !== undefined) throw new Error("use either --creds or --docker-config, not both");
  if (flags.dockerConfig !== undefined) return { dockerConfigJson: await readFile(flags.dockerConfig, "utf8") };
  if (flags.creds === undefined) return undefined;
  const colon = flags.creds.indexOf(":");
  if (colon >= 0) return { username: flags.creds.slice(0, colon), password: flags.creds.slice(colon + 1) };
  const password = env[PASSWORD_ENV];
  if (password === undefined) throw new Error(`--creds "${flags.creds}" has no password: set ${PASSWORD_ENV}`);
  return { username: flags.creds, password };
}

/** registerPushCommands adds `push artifact` to the program. */
export function registerPushCommands(program: Command, out: CliOutput): void {
  const push = program.command("push").description("Push artifacts to an OCI registry");
  push
    .command("artifact")
    .description("Pack a directory and push it as a Flux OCI artifact (flux push artifact)")
    .argument("<dir>", "directory to pack")
    .argument("<url>", "destination, oci://<host>[:port]/<repository>:<tag>")
    .option("--source <url>", "annotation org.opencontainers.image.source, e.g. the Git URL")
    .option("--revision <revision>", "annotation org.opencontainers.image.revision, e.g. main@sha1:<sha>")
    .option("-a, --annotation <key=value>", "extra manifest annotation (repeatable)", collect, [])
    .option("--creds <user[:password]>", `registry credentials; without :password it is read from ${PASSWORD_ENV}`)
    .option("--docker-config <file>", "Docker config.json with registry credentials")
    .option("--insecure", "talk plain HTTP to the registry")
    .option("--ca-file <file>", "PEM CA bundle that signs the registry's certificate")
    .option("--ignore-paths <patterns>", "extra ignore patterns, comma-separated (gitignore syntax)")
    .option("--timeout <duration>", "bound of each registry call", "60s")
    .action(async (dir: string, url: string, flags: PushArtifactFlags) => {
      const ref = parseOCIReference(url, { allowTag: true });
      if (ref.digest) throw new Error(`"${url}" must name a tag, not a digest`);
      const tag = ref.tag ?? "latest";
      const target = formatOCIReference({ ...ref, tag, digest: undefined });
      out.step(`pushing artifact to ${target}`);
      const result = await pushArtifact({
        dir,
        url: `oci://${ref.host}/${ref.repository}`,
        tag,
        source: flags.source,
        revision: flags.revision,
        annotations: parseAnnotations(flags.annotation),
        ignore: flags.ignorePaths?.split(",").join("\n"),
        auth: await credentials(flags, process.env),
        tls: flags.caFile ? { caCert: await readFile(flags.caFile, "utf8") } : undefined,
        insecure: flags.insecure,
        timeoutMs: parseDuration(flags.timeout, "--timeout"),
      }).catch((err: unknown) => {
        throw new Error(`pushing to ${target} failed: ${errorMessage(err)}`);
      });
      const pushed = formatOCIReference({ ...ref, tag: undefined, digest: result.digest });
      out.success(`artifact successfully pushed to ${pushed}`);
      out.result(`oci://${pushed}`);
    });
}
