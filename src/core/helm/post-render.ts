// HelmRelease post-rendering, as Flux's helm-controller does it (internal/postrender): each
// postRenderers[] kustomize step (patches, images) with the real kustomize, then commonMetadata, then
// the origin labels helm.toolkit.fluxcd.io/{name,namespace}. Helm runs it as a `--post-renderer`
// executable: a wrapper script in the session dir that runs post-render-main.js with node.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import YAML from "yaml";
import { run } from "../exec";
import type { KubeObject } from "../build/kustomize";
import { withCommonMetadata, type CommonMetadata } from "../build/common-metadata";
import { applyOverlay, type Image, type Patch } from "../build/overlay";
import type { HelmSession } from "./helm-cli";

/** ORIGIN_NAME_LABEL and ORIGIN_NAMESPACE_LABEL name the HelmRelease that rendered an object (Flux's). */
export const ORIGIN_NAME_LABEL = "helm.toolkit.fluxcd.io/name";
export const ORIGIN_NAMESPACE_LABEL = "helm.toolkit.fluxcd.io/namespace";

/** PostRenderer is one entry of spec.postRenderers. */
export interface PostRenderer {
  kustomize?: { patches?: Patch[]; images?: Image[] };
}

/** PostRenderSpec is everything the post-renderer needs, written to a file for the child process. */
export interface PostRenderSpec {
  postRenderers?: PostRenderer[];
  commonMetadata?: CommonMetadata;
  origin: { name: string; namespace: string };
}

/** parseRendered parses a rendered manifest stream into its objects; invalid YAML is an error. */
export function parseRendered(text: string): KubeObject[] {
  return YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`the rendered chart is not valid YAML: ${d.errors[0].message.split("\n")[0]}`);
      return d.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => Boolean(o && typeof o === "object" && o.kind));
}

/** kustomizeStep runs one kustomize post-renderer over the objects in a temp dir under parent. */
async function kustomizeStep(objects: KubeObject[], step: NonNullable<PostRenderer["kustomize"]>, parent: string): Promise<KubeObject[]> {
  if (!step.patches?.length && !step.images?.length) return objects;
  const dir = await mkdtemp(join(parent, "kustomize-"));
  try {
    await writeFile(join(dir, "resources.yaml"), objects.map((o) => YAML.stringify(o)).join("---\n"));
    await writeFile(join(dir, "kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- resources.yaml\n");
    await applyOverlay(dir, { patches: step.patches, images: step.images });
    // Loaded only when needed: the post-renderer is a process of its own, started for every render.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { kustomizeCommand } = require("../build/kustomize") as typeof import("../build/kustomize");
    const [bin, args] = await kustomizeCommand();
    const res = await run(bin, [...args, dir]);
    if (res.code !== 0) throw new Error(`postRenderers kustomize failed: ${res.stderr.trim().split("\n").slice(-2).join(" ")}`);
    return parseRendered(res.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** postRenderObjects transforms rendered objects: kustomize steps (temp dirs under tmp), commonMetadata, origin labels. */
export async function postRenderObjects(objects: KubeObject[], spec: PostRenderSpec, tmp: string): Promise<KubeObject[]> {
  for (const r of spec.postRenderers ?? []) if (r.kustomize) objects = await kustomizeStep(objects, r.kustomize, tmp);
  objects = withCommonMetadata(objects, spec.commonMetadata);
  return withCommonMetadata(objects, { labels: { [ORIGIN_NAME_LABEL]: spec.origin.name, [ORIGIN_NAMESPACE_LABEL]: spec.origin.namespace } });
}

/** postRender transforms a rendered manifest stream as postRenderObjects does. */
export async function postRender(manifests: string, spec: PostRenderSpec, tmp: string): Promise<string> {
  return (await postRenderObjects(parseRendered(manifests), spec, tmp)).map((o) => YAML.stringify(o)).join("---\n");
}

/** shellQuote quotes a word for /bin/sh. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** postRendererArgs writes the spec and the wrapper script into the session dir and returns helm's flags. */
export async function postRendererArgs(s: HelmSession, spec: PostRenderSpec): Promise<string[]> {
  const specFile = await s.file("post-render.json", JSON.stringify(spec));
  const main = join(__dirname, "post-render-main.js");
  const script = join(s.dir, "post-render.sh");
  await writeFile(script, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(main)} ${shellQuote(specFile)}\n`, { mode: 0o700 });
  return ["--post-renderer", script];
}
