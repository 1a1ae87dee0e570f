// The resource types the provider serves. Each kind is one file; adding one is one line here.
import { bootstrapGit } from "./bootstrap-git";
import { bucket } from "./bucket";
import { gitRepository } from "./git-repository";
import { helmRelease } from "./helm-release";
import { helmRepository } from "./helm-repository";
import { kustomization } from "./kustomization";
import { ociRepository } from "./oci-repository";
import type { ResourceType } from "./resource";

/** resourceTypes are every fluxiac_* resource. */
export const resourceTypes: ResourceType[] = [gitRepository, ociRepository, helmRepository, bucket, kustomization, helmRelease, bootstrapGit];
