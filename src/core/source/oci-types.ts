// OCIRepository spec types: Flux's source.toolkit.fluxcd.io/v1 OCIRepository fields, as plain data.
import type { TLSConfig } from "./tls";

/** OCIRepositoryRef selects the artifact. Precedence (Flux's code): digest > semver > tag. */
export interface OCIRepositoryRef {
  /** Tag to pull. @default "latest" */
  tag?: string;
  /** Semver range (Masterminds syntax); the highest matching tag wins. */
  semver?: string;
  /** Regular expression the tags must match before semver selection. */
  semverFilter?: string;
  /** Exact manifest digest, `sha256:<hex>`. */
  digest?: string;
}

/** OCILayerSelector picks the layer that holds the content. */
export interface OCILayerSelector {
  /** Media type of the layer. @default the first layer */
  mediaType?: string;
  /** "extract" untars the layer (default); "copy" stores the layer blob as it is. */
  operation?: "extract" | "copy";
}

/** OCIAuth is Flux's `secretRef` (a dockerconfigjson Secret) as values, or plain registry credentials. */
export interface OCIAuth {
  /** Content of a Docker config.json (`.dockerconfigjson`): `{"auths": {"<host>": {"auth": "..."}}}`. */
  dockerConfigJson?: string;
  username?: string;
  password?: string;
}

/** OCIRepositorySpec is an OCIRepository's desired state. */
export interface OCIRepositorySpec {
  /** `oci://<host>[:port]/<repository>`. */
  url: string;
  ref?: OCIRepositoryRef;
  layerSelector?: OCILayerSelector;
  /** "generic" only for now; aws, azure and gcp fail with a clear error. @default "generic" */
  provider?: "generic" | "aws" | "azure" | "gcp";
  auth?: OCIAuth;
  tls?: TLSConfig;
  /** Talk plain HTTP to the registry. @default false */
  insecure?: boolean;
  /** Timeout of registry operations. @default "60s" */
  timeout?: string;
  /** Extra .sourceignore patterns applied when extracting. */
  ignore?: string;
}
