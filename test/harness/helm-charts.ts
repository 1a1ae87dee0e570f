// Charts for the HelmRelease tests, made of objects an API server without kubelet settles at once
// (ConfigMaps, Services): versions that install, one whose pre-upgrade hook the API server rejects
// (a failing upgrade), one with a values schema, a helm test hook of kind ConfigMap (it passes), and a
// custom resource (kind Widget, CRD included) whose status a test writes itself.
import { execFile } from "node:child_process";
import type { ChartSource } from "./helm-repo";
import { tool } from "./tools";

const CONFIGMAP =
  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  color: {{ .Values.color | quote }}\n  version: {{ .Chart.Version | quote }}\n";
const SERVICE =
  "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  ports:\n  - port: 80\n  selector:\n    app: {{ .Release.Name }}\n";
const TEST_HOOK =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    "helm.sh/hook": test\ndata:\n  ok: "true"\n';
const FAILING_HOOK =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n  annotations:\n    "helm.sh/hook": pre-upgrade,pre-install\ndata:\n  x: "1"\n';
const POD_TEST_HOOK =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-pod-test\n  annotations:\n    "helm.sh/hook": test\nspec:\n  restartPolicy: Never\n  containers:\n  - name: check\n    image: busybox\n';
const SCHEMA = JSON.stringify({ $schema: "http://json-schema.org/schema#", type: "object", properties: { replicas: { type: "integer" } } });

const HANGING_HOOK =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-pre-upgrade\n  annotations:\n    "helm.sh/hook": pre-upgrade\nspec:\n  restartPolicy: Never\n  containers:\n  - name: wait\n    image: busybox\n';

/**
 * appChart is chart "app": a ConfigMap (data.color, data.version) and a test hook; from 1.1.0 on also a Service.
 * failingHook adds a hook the API server rejects; hangingHook a pre-upgrade hook Pod that never completes (no kubelet).
 */
export function appChart(version: string, opts: { failingHook?: boolean; hangingHook?: boolean } = {}): ChartSource {
  const files: Record<string, string> = { "templates/configmap.yaml": CONFIGMAP, "templates/tests/check.yaml": TEST_HOOK };
  if (version !== "1.0.0") files["templates/service.yaml"] = SERVICE;
  if (opts.failingHook) files["templates/hook.yaml"] = FAILING_HOOK;
  if (opts.hangingHook) files["templates/hanging-hook.yaml"] = HANGING_HOOK;
  return { name: "app", version, values: "color: blue\nreplicas: 1\n", files };
}

/** strictChart is chart "strict", whose values.schema.json wants replicas to be an integer. */
export function strictChart(version = "1.0.0"): ChartSource {
  return { name: "strict", version, values: "replicas: 1\ncolor: blue\n", files: { "values.schema.json": SCHEMA, "templates/configmap.yaml": CONFIGMAP } };
}

/** podTestChart is chart "tested": a ConfigMap and a test hook Pod, which never runs without a kubelet (helm test times out). */
export function podTestChart(version = "1.0.0"): ChartSource {
  return { name: "tested", version, values: "color: blue\n", files: { "templates/configmap.yaml": CONFIGMAP, "templates/tests/pod.yaml": POD_TEST_HOOK } };
}

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
const WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: {{ .Values.size }}\n";

/** widgetChart is chart "widget": the CRD of kind Widget (example.com/v1, in crds/, no status subresource) and a Widget named after the release. */
export function widgetChart(version = "1.0.0"): ChartSource {
  return { name: "widget", version, values: "size: 1\n", files: { "crds/widget.yaml": WIDGET_CRD, "templates/widget.yaml": WIDGET } };
}

/** helmCli runs the real helm against a kubeconfig file and returns stdout (rejects on failure). */
export function helmCli(kubeconfigPath: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool("helm"), [...args, "--kubeconfig", kubeconfigPath], (err, out, stderr) => (err ? reject(new Error(`helm ${args.join(" ")}: ${stderr || err.message}`)) : resolve(out)));
  });
}

/** HistoryEntry is one line of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}

/** helmHistory is `helm history` of a release, oldest first; empty when there is none. */
export async function helmHistory(kubeconfigPath: string, release: string, namespace: string): Promise<HistoryEntry[]> {
  try {
    return JSON.parse(await helmCli(kubeconfigPath, ["history", release, "-n", namespace, "-o", "json"])) as HistoryEntry[];
  } catch (err) {
    if (/not found/.test((err as Error).message)) return [];
    throw err;
  }
}

/** helmList is `helm list` of a namespace (all states), as names. */
export async function helmList(kubeconfigPath: string, namespace: string): Promise<string[]> {
  return (JSON.parse(await helmCli(kubeconfigPath, ["list", "-n", namespace, "--all", "-o", "json"])) as { name: string }[]).map((r) => r.name);
}
