// The OCI distribution client: references, credentials, the registry API and Flux artifact pushes.
export { parseOCIReference, formatOCIReference, registryBaseUrl, OCIReferenceError, type OCIReference } from "./reference";
export { credentialsFor, parseChallenge, RegistryAuthError, type Credentials, type Challenge } from "./auth";
export { RegistryClient, RegistryError, type RegistryClientOptions, type ManifestResult } from "./client";
export { MEDIA_TYPES, ANNOTATIONS, isTarGzip, type Descriptor, type ImageManifest } from "./manifest";
export { pushArtifact, type PushArtifactOptions, type PushResult } from "./push";
export { resolveOCIRef, selectSemverTag, versionOfTag, tagOfVersion, manifestDigestOfRevision, type OCITarget } from "./resolve";
export { pullOCIArtifact, selectLayer, type PullOptions } from "./pull";
