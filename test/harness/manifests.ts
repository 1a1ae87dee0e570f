// Manifests the Kustomization tests share: a namespaced custom resource with its CRD and namespace.

/** widgetCrd is the CRD of `example.com/v1` Widget; `withStatus` adds the status subresource. */
export function widgetCrd(opts: { withStatus?: boolean } = {}): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget }
  versions:
  - name: v1
    served: true
    storage: true
${opts.withStatus ? "    subresources: { status: {} }\n" : ""}    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
${opts.withStatus ? "          status: { type: object, x-kubernetes-preserve-unknown-fields: true }\n" : ""}`;
}

/** SHOP_NAMESPACE is the namespace the widget lives in. */
export const SHOP_NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

/** GEAR_WIDGET is one Widget in namespace shop. */
export const GEAR_WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\n  namespace: shop\nspec:\n  teeth: 12\n";
