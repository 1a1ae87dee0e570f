// HelmRepository: the construct of `fluxiac_helm_repository`, Flux's HelmRepository source.
import type { Construct } from "constructs";
import { validateHelmRepository } from "../core/reconcile/helm-repository";
import type { HelmRepositorySpec } from "../core/source/helm-types";
import type { ObjectProps } from "./resource";
import { SourceResource, type TLSProps } from "./source";

/** HelmRepositoryAuthProps are the repository's basic-auth credentials (Flux's secretRef keys). Sensitive. */
export interface HelmRepositoryAuthProps {
  readonly username?: string;
  readonly password?: string;
}

/** HelmRepositoryProps are Flux's HelmRepository fields, as HelmRepositoryArgs of the Pulumi component. */
export interface HelmRepositoryProps extends ObjectProps {
  /** `https://` or `http://` URL of a chart repository (serving index.yaml), or `oci://` for an OCI registry. */
  readonly url: string;
  /** "default" (index.yaml) or "oci". @default from the URL's scheme */
  readonly type?: "default" | "oci";
  /** Basic-auth credentials. Sensitive. */
  readonly auth?: HelmRepositoryAuthProps;
  /** Send the credentials to chart URLs on other hosts than the repository's. @default false */
  readonly passCredentials?: boolean;
  /** CA bundle and client certificate (Flux's certSecretRef). Sensitive. */
  readonly tls?: TLSProps;
  /** Plain HTTP to an OCI registry. @default false */
  readonly insecure?: boolean;
  /** Timeout of index and chart downloads. @default "60s" */
  readonly timeout?: string;
}

/**
 * HelmRepository fetches a chart repository's index.yaml; its revision is the index's sha256. An
 * `oci://` repository has no artifact (as in Flux): charts are pulled from the registry.
 */
export class HelmRepository extends SourceResource<"HelmRepository"> {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_helm_repository";
  readonly sourceKind = "HelmRepository" as const;

  constructor(scope: Construct, id: string, props: HelmRepositoryProps) {
    const { url, type, auth, passCredentials, tls, insecure, timeout } = props;
    const attributes = { url, type, auth, passCredentials, tls, insecure, timeout };
    super(scope, id, props, {
      kind: "HelmRepository",
      type: HelmRepository.tfResourceType,
      attributes,
      secrets: ["auth.password", "tls.key"],
      validate: () => validateHelmRepository(attributes as HelmRepositorySpec),
    });
  }
}
