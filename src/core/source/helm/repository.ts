// HelmRepository of type default: fetch index.yaml, take its sha256 as the revision, and store the
// normalised index (Flux writes it as JSON, `index-<hex>.yaml`).
import { readFile } from "node:fs/promises";
import type { Artifact } from "../../artifact/artifact";
import type { ArtifactStore } from "../../artifact/store";
import { FluxiacError, type ObjectRef } from "../../errors";
import type { HelmRepositorySpec } from "../helm-types";
import { HelmGetter } from "./http";
import { IndexError, parseIndex, type IndexFile } from "./index-file";

/** INDEX_MAX_BYTES is Flux's --helm-index-max-size default: 50 MiB. */
export const INDEX_MAX_BYTES = 50 << 20;

/** indexUrl is `<url>/index.yaml`. */
export function indexUrl(repositoryUrl: string): string {
  return `${repositoryUrl.replace(/\/+$/, "")}/index.yaml`;
}

/** FetchedIndex is a downloaded index: its revision and a way to store its normalised form. */
export interface FetchedIndex {
  /** `sha256:<hex>` of the fetched bytes. */
  revision: string;
  /** store parses the index, normalises it and stores it; the fetched bytes are released afterwards. */
  store(store: ArtifactStore): Promise<Artifact>;
}

/** fetchIndex downloads index.yaml (at most 50 MiB) within the spec's timeout. */
export async function fetchIndex(object: ObjectRef, spec: HelmRepositorySpec, signal?: AbortSignal): Promise<FetchedIndex> {
  const getter = new HelmGetter(object, spec, signal);
  let data: Buffer | undefined;
  let sha256: string;
  try {
    ({ data, sha256 } = await getter.get(indexUrl(spec.url), { maxBytes: INDEX_MAX_BYTES, what: "index.yaml" }));
  } finally {
    await getter.close();
  }
  const revision = `sha256:${sha256}`;
  return {
    revision,
    async store(store) {
      if (!data) throw new Error("the fetched index was already stored");
      const text = data.toString("utf8");
      data = undefined; // one form at a time: bytes, then text, then the parsed index
      let index: IndexFile;
      try {
        index = parseIndex(text);
      } catch (err) {
        if (err instanceof IndexError) throw new FluxiacError(object, "FetchFailed", `${err.message} (${spec.url}): check url`);
        throw err;
      }
      const { digest, size } = await store.putBuffer(Buffer.from(JSON.stringify(index)));
      return { revision, digest, size };
    },
  };
}

/** readIndex loads a normalised index from the store. */
export async function readIndex(path: string): Promise<IndexFile> {
  return JSON.parse(await readFile(path, "utf8")) as IndexFile;
}
