// A stand-in for Flux's gotk-components.yaml in tests: the two CRDs bootstrap's sync objects need (open
// schemas, status subresource), the namespace, a ServiceAccount and a controller Deployment with zero
// replicas (the test control plane has no kubelet; a zero-replica Deployment rolls out without one).

const crd = (group: string, kind: string, plural: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${group}
spec:
  group: ${group}
  names:
    kind: ${kind}
    listKind: ${kind}List
    plural: ${plural}
    singular: ${kind.toLowerCase()}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

/** fluxComponents is the manifest stream, with the `# Flux Version:` line the flux CLI writes. */
export function fluxComponents(version = "v2.8.5", namespace = "flux-system"): string {
  return `# Flux Version: ${version}
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
---
${crd("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories")}---
${crd("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations")}---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kustomize-controller
  namespace: ${namespace}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kustomize-controller
  namespace: ${namespace}
spec:
  replicas: 0
  selector:
    matchLabels:
      app: kustomize-controller
  template:
    metadata:
      labels:
        app: kustomize-controller
    spec:
      serviceAccountName: kustomize-controller
      containers:
      - name: manager
        image: kustomize-controller:test
`;
}
