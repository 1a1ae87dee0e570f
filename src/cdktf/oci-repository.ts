// OCIRepository: the construct of `fluxiac_oci_repository`, Flux's OCIRepository source.
import type { Construct } from "constructs";
import { validateOCIRepository } from "../core/reconcile/oci-repository";
import type { OCILayerSelector, OCIRepositoryRef, OCIRepositorySpec } from "../core/source/oci-types";
import type { ObjectProps } from "./resource";
import { SourceResource, type TLSProps } from "./source";

/** OCIAuthProps are registry credentials: a Docker config.json (Flux's secretRef) or username/password. Sensitive. */
export interface OCIAuthProps {
  /** Content of a Docker config.json; the `auths` entry matching the registry's host[:port] is used. */
  readonly dockerConfigJson?: string;
  readonly username?: string;
  readonly password?: string;
}

/** OCIRepositoryProps are Flux's OCIRepository fields, as OCIRepositoryArgs of the Pulumi component. */
export interface OCIRepositoryProps extends ObjectProps {
  /** `oci://<host>[:port]/<repository>`, without tag or digest. */
  readonly url: string;
  /** What to pull; precedence digest > semver > tag. @default { tag: "latest" } */
  readonly ref?: OCIRepositoryRef;
  /** Which layer holds the content and what to do with it. @default the first layer, extracted */
  readonly layerSelector?: OCILayerSelector;
  /**
   * Flux's `provider` (`provider` is a Terraform meta-argument, hence the name); only "generic" is
   * supported so far. @default "generic"
   */
  readonly cloudProvider?: OCIRepositorySpec["provider"];
  /** Credentials. Sensitive. */
  readonly auth?: OCIAuthProps;
  /** CA bundle and client certificate (Flux's certSecretRef). Sensitive. */
  readonly tls?: TLSProps;
  /** Talk plain HTTP to the registry. @default false */
  readonly insecure?: boolean;
  /** Timeout of registry operations. @default "60s" */
  readonly timeout?: string;
  /** Extra .sourceignore patterns applied when extracting. */
  readonly ignore?: string;
}

/**
 * OCIRepository pulls an OCI artifact into a versioned artifact. The provider resolves the ref at plan
 * time with one manifest request; no layer is downloaded when nothing changed.
 */
export class OCIRepository extends SourceResource<"OCIRepository"> {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_oci_repository";
  readonly sourceKind = "OCIRepository" as const;

  constructor(scope: Construct, id: string, props: OCIRepositoryProps) {
    const { url, ref, layerSelector, cloudProvider, auth, tls, insecure, timeout, ignore } = props;
    const attributes = { url, ref, layerSelector, cloudProvider, auth, tls, insecure, timeout, ignore };
    super(scope, id, props, {
      kind: "OCIRepository",
      type: OCIRepository.tfResourceType,
      attributes,
      secrets: ["auth.password", "auth.dockerConfigJson", "tls.key"],
      validate: () =>
        validateOCIRepository({ ...attributes, provider: cloudProvider } as OCIRepositorySpec).map((p) =>
          p.property === "provider" ? { property: "cloudProvider", reason: p.reason.replace(/^provider/, "cloudProvider") } : p,
        ),
    });
  }
}
