// Overlay options: the Kustomization's own kustomize settings written into the path's kustomization file,
// the way Flux's generator does (fluxcd/pkg kustomize_generator.go): targetNamespace, namePrefix/Suffix,
// patches, images and components are set on the file that is there, or on the generated one.
import { readFile, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { findKustomizationFile } from "./generator";

/** Selector picks the objects a patch applies to (kustomize's patch target). */
export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Label selector, e.g. "app=web,tier!=db". */
  labelSelector?: string;
  /** Annotation selector, same syntax as labelSelector. */
  annotationSelector?: string;
}

/** Patch is a strategic merge or JSON 6902 patch (YAML or JSON), with an optional target. */
export interface Patch {
  patch: string;
  target?: Selector;
}

/** Image overrides an image's name, tag or digest (kustomize's images). */
export interface Image {
  /** The image name as it appears in the manifests. */
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** OverlayOptions are the Kustomization fields Flux writes into the kustomization file. */
export interface OverlayOptions {
  /** Namespace for every namespaced object (overrides the file's `namespace`). */
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  patches?: Patch[];
  images?: Image[];
  /** Component directories, relative to the path. */
  components?: string[];
  /** Skip components whose directory does not exist instead of failing. @default false */
  ignoreMissingComponents?: boolean;
}

/** hasOverlay reports whether any option would change the kustomization file. */
export function hasOverlay(o: OverlayOptions): boolean {
  return Boolean(o.targetNamespace || o.namePrefix || o.nameSuffix || o.patches?.length || o.images?.length || o.components?.length);
}

function compact<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

/**
 * applyOverlay writes the options into dir's kustomization file. Images replace an existing entry with
 * the same name as a whole (tag and digest together) or are appended; patches and components are
 * appended. Throws an Error naming the field when a component path is absolute or missing.
 */
export async function applyOverlay(dir: string, options: OverlayOptions): Promise<void> {
  if (!hasOverlay(options)) return;
  const file = await findKustomizationFile(dir);
  if (!file) throw new Error("no kustomization file to apply the overlay options to");
  const path = join(dir, file);
  const doc = parseDocument(await readFile(path, "utf8"));
  if (doc.errors.length) throw new Error(`${file} is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  if (options.targetNamespace) doc.set("namespace", options.targetNamespace);
  if (options.namePrefix) doc.set("namePrefix", options.namePrefix);
  if (options.nameSuffix) doc.set("nameSuffix", options.nameSuffix);
  const list = (key: string): unknown[] => {
    const v = doc.toJS()?.[key] as unknown;
    return Array.isArray(v) ? v : [];
  };
  if (options.patches?.length) {
    const patches = list("patches");
    for (const p of options.patches) patches.push(compact({ patch: p.patch, target: p.target && compact(p.target) }));
    doc.set("patches", doc.createNode(patches));
  }
  if (options.components?.length) {
    const components = list("components");
    for (const c of options.components) {
      if (isAbsolute(c)) throw new Error(`component path "${c}" must be relative to the path; fix components`);
      const exists = await stat(resolve(dir, c)).then(() => true, () => false);
      if (!exists && options.ignoreMissingComponents) continue;
      if (!exists) throw new Error(`component "${c}" does not exist; fix components or set ignoreMissingComponents`);
      components.push(c);
    }
    doc.set("components", doc.createNode(components));
  }
  if (options.images?.length) {
    const images = list("images") as Image[];
    for (const image of options.images) {
      const entry = compact({ name: image.name, newName: image.newName, newTag: image.newTag, digest: image.digest }) as Image;
      const i = images.findIndex((e) => e?.name === image.name);
      if (i >= 0) images[i] = entry;
      else images.push(entry);
    }
    doc.set("images", doc.createNode(images));
  }
  await writeFile(path, doc.toString());
}
