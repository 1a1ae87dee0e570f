// After kustomize build, per object as Flux does: SOPS decryption, then postBuild substitution, then
// commonMetadata. Errors name the object and the field to fix, never a key or a decrypted value.
import { createHash } from "node:crypto";
import { FluxiacError, type ObjectRef } from "../errors";
import type { ObjectApi } from "../kube/client";
import { DecryptError, decryptObjects, loadKeys, type Decryption } from "./decrypt";
import { KeyringError, openKeyring, type Keyring } from "./keyring";
import type { KubeObject } from "./kustomize";
import { withCommonMetadata, type CommonMetadata } from "./common-metadata";

export { withCommonMetadata, type CommonMetadata };
import type { OverlayOptions } from "./overlay";
import { loadVariables, substituteObjects, SubstituteError, type PostBuild } from "./substitute";

/** KustomizationBuildSpec are a Kustomization's build fields (Flux's names). */
export interface KustomizationBuildSpec extends OverlayOptions {
  /** Labels and annotations added to every object, after substitution; they win over the manifests'. */
  commonMetadata?: CommonMetadata;
  postBuild?: PostBuild;
  /** SOPS decryption of encrypted Secrets. */
  decryption?: Decryption;
  /** Allow remote bases (URLs in resources, bases and components). @default false */
  allowRemoteBases?: boolean;
}

/**
 * loadDecryptionKeys reads the keys of spec.decryption (inline, then the secretRef Secret's `*.agekey`
 * and `*.asc` entries in namespace) and opens them as one keyring for the whole build (PGP keys are
 * imported once); the caller closes it in a finally. Undefined without decryption. A failure to read
 * the cluster is rethrown.
 */
export async function loadDecryptionKeys(spec: KustomizationBuildSpec, api: ObjectApi, namespace: string, object: ObjectRef): Promise<Keyring | undefined> {
  if (!spec.decryption) return undefined;
  try {
    return await openKeyring(await loadKeys(api, namespace, spec.decryption));
  } catch (err) {
    if (err instanceof DecryptError || err instanceof KeyringError) throw new FluxiacError(object, "BuildFailed", err.message);
    throw err;
  }
}

/** PostBuildResult is the finished objects and a key for digests of them. */
export interface PostBuildResult {
  objects: KubeObject[];
  /**
   * digestKey is derived from the secret material the objects were made with (decryption keys and
   * substituted variables), so that digests of the objects kept in IaC state cannot be used to guess
   * those values offline. Absent when there was none.
   */
  digestKey?: string;
}

/**
 * postBuildObjects decrypts (with keys from loadDecryptionKeys), substitutes and labels the built
 * objects. substituteFrom references are read in namespace, the Kustomization's. Decryption and
 * substitution failures are BuildFailed errors, as in Flux; a failure to read the cluster is rethrown.
 */
export async function postBuildObjects(objects: KubeObject[], spec: KustomizationBuildSpec, keys: Keyring | undefined, api: ObjectApi, namespace: string, object: ObjectRef): Promise<PostBuildResult> {
  try {
    let out = await decryptObjects(objects, keys);
    let variables: Map<string, string> | undefined;
    if (spec.postBuild) {
      variables = await loadVariables(api, namespace, spec.postBuild);
      out = substituteObjects(out, variables, spec.postBuild.substituteStrategy);
    }
    const material = [...(keys?.material ?? []), ...[...(variables ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`)];
    const digestKey = material.length ? createHash("sha256").update(material.join("\n")).digest("hex") : undefined;
    return { objects: withCommonMetadata(out, spec.commonMetadata), digestKey };
  } catch (err) {
    if (err instanceof DecryptError || err instanceof SubstituteError) throw new FluxiacError(object, "BuildFailed", err.message);
    throw err; // a cluster failure, which the caller reports
  }
}
