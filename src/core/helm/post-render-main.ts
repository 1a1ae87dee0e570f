// The post-renderer executable Helm runs (`--post-renderer`): manifests on stdin, the post-render spec
// file as the only argument, the transformed manifests on stdout.
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { postRender, type PostRenderSpec } from "./post-render";

async function main(): Promise<void> {
  const specFile = process.argv[2];
  const spec = JSON.parse(await readFile(specFile, "utf8")) as PostRenderSpec;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  process.stdout.write(await postRender(Buffer.concat(chunks).toString("utf8"), spec, dirname(specFile)));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
