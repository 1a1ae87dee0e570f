// The cluster connection: a kubeconfig (content or default), and an object API with cached discovery.
import * as k8s from "@kubernetes/client-node";
import { request, type Dispatcher } from "undici";
import type { KubeObject } from "../build/kustomize";

/** ClusterConnection says which cluster to talk to. Without kubeconfig: $KUBECONFIG or ~/.kube/config. */
export interface ClusterConnection {
  /** kubeconfig file content (YAML). */
  kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  context?: string;
  /** User to impersonate on every request (the kubeconfig user's `as`), e.g. `system:serviceaccount:<ns>:<name>`. */
  impersonate?: string;
  /**
   * Service account that a Kustomization or HelmRelease without serviceAccountName impersonates, in its
   * own namespace (Flux's controller flag `--default-service-account`). @default none: the kubeconfig user
   */
  defaultServiceAccount?: string;
}

/** ApiResourceInfo is what discovery says about a kind. */
export interface ApiResourceInfo {
  name: string;
  namespaced: boolean;
}

/** ObjectApi is KubernetesObjectApi with discovery exposed and refreshed on a miss. */
export class ObjectApi extends k8s.KubernetesObjectApi {
  /** apiResource looks a kind up through discovery; undefined when the API server does not serve it. */
  async apiResource(apiVersion: string, kind: string): Promise<ApiResourceInfo | undefined> {
    let found = await this.resource(apiVersion, kind).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!found && this.apiVersionResourceCache[apiVersion]) {
      // A CRD created since the cache was filled: ask again once.
      delete this.apiVersionResourceCache[apiVersion];
      found = await this.resource(apiVersion, kind).catch(() => undefined);
    }
    return found ? { name: found.name, namespaced: found.namespaced } : undefined;
  }

  /**
   * patch sends the object as it is. KubernetesObjectApi serializes built-in kinds through their typed
   * models, which read camelCase properties and so drop wire names such as a CRD schema's
   * `x-kubernetes-preserve-unknown-fields`, `default`, `enum` and `$ref`; manifests are already in wire form.
   */
  override async patch<T extends k8s.KubernetesObject>(
    spec: T,
    pretty?: string,
    dryRun?: string,
    fieldManager?: string,
    force?: boolean,
    patchStrategy: k8s.PatchStrategy = k8s.PatchStrategy.StrategicMergePatch,
  ): Promise<T> {
    return this.requestPromise<T>(await this.patchRequest(spec, { pretty, dryRun, fieldManager, force }, patchStrategy));
  }

  /** patchRequest is a PATCH of the object's URL with the manifest as its JSON body, as built. */
  private async patchRequest(
    spec: k8s.KubernetesObject,
    query: { pretty?: string; dryRun?: string; fieldManager?: string; force?: boolean },
    patchStrategy: k8s.PatchStrategy,
  ): Promise<k8s.RequestContext> {
    const request = this.configuration.baseServer.makeRequestContext(await this.specUriPath(spec, "patch"), k8s.HttpMethod.PATCH);
    request.setHeaderParam("Accept", "application/json, */*;q=0.8");
    request.setHeaderParam("Content-Type", patchStrategy);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) request.setQueryParam(k, String(v));
    request.setBody(JSON.stringify(spec));
    return request;
  }

  /**
   * patchWithoutResult sends a patch as patch does and drops the answer: for the applies and the
   * dry-runs of creates, whose results nobody reads. It skips client-node's fetch pipeline and its
   * typed models (JSON parse, then a walk of every field into a model class), which cost more CPU per
   * request than the API server's own work for a small object; on two cores that is what bounds a
   * 1,000-object apply. Auth, middleware and the pooled connection are client-node's, as in patch;
   * a refusal throws client-node's ApiException with the server's body, as patch does.
   */
  async patchWithoutResult(spec: KubeObject, dryRun: string | undefined, fieldManager: string, force: boolean | undefined, patchStrategy: k8s.PatchStrategy): Promise<void> {
    let context = await this.patchRequest(spec, { dryRun, fieldManager, force }, patchStrategy);
    // The same steps as client-node's requestPromise, up to the request itself.
    await this.configuration.authMethods.BearerToken?.applySecurityAuthentication(context);
    await this.configuration.authMethods.default?.applySecurityAuthentication(context);
    for (const middleware of this.configuration.middleware) context = await middleware.pre(context).toPromise();
    const res = await request(context.getUrl(), {
      method: "PATCH",
      headers: context.getHeaders(),
      body: context.getBody() as string,
      dispatcher: context.getDispatcher() as Dispatcher | undefined,
      signal: context.getSignal(),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new k8s.ApiException(res.statusCode, "Unsuccessful HTTP Request", text, res.headers as Record<string, string>);
    }
  }

  /** servedResources lists the resources an API group version serves (cached with the rest of discovery). */
  async servedResources(apiVersion: string): Promise<k8s.V1APIResource[]> {
    await this.resource(apiVersion, "");
    return this.apiVersionResourceCache[apiVersion]?.resources ?? [];
  }

  /** forgetDiscovery drops cached discovery, e.g. after CRDs were applied. */
  forgetDiscovery(): void {
    this.apiVersionResourceCache = {};
  }
}

/** Cluster bundles a connected object API and the context's default namespace. */
export interface Cluster {
  api: ObjectApi;
  config: k8s.KubeConfig;
  server: string;
}

/** REQUEST_TIMEOUT_MS bounds one request to the API server. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * PooledKubeConfig reuses one connection pool for every request. client-node 2.0 creates a new undici
 * Agent per request, so each request opened a new TLS connection; the credentials and TLS settings of
 * one kubeconfig context do not change while it is used, so one pool serves them all.
 */
class PooledKubeConfig extends k8s.KubeConfig {
  private pool: ReturnType<k8s.RequestContext["getDispatcher"]>;

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    // A request whose connection dies without an error (the API server killed mid-request) must not wait
    // forever: every request gets a deadline, which turns it into a "cluster unreachable" error.
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const dispatcher = context.getDispatcher();
    if (!dispatcher) return;
    this.pool ??= dispatcher;
    context.setDispatcher(this.pool!);
  }

  override setCurrentContext(name: string): void {
    this.pool = undefined;
    super.setCurrentContext(name);
  }
}

/** connect loads the kubeconfig and returns a client, or throws an error saying what is missing. */
export function connect(conn: ClusterConnection = {}): Cluster {
  const kc = new PooledKubeConfig();
  if (conn.kubeconfig) kc.loadFromString(conn.kubeconfig);
  else kc.loadFromDefault();
  if (conn.context) kc.setCurrentContext(conn.context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      conn.kubeconfig
        ? `the kubeconfig has no cluster for context "${kc.getCurrentContext()}"`
        : "no cluster is configured: pass kubeconfig, or set KUBECONFIG / ~/.kube/config",
    );
  }
  if (conn.impersonate) impersonate(kc, conn.impersonate);
  const api = kc.makeApiClient(ObjectApi);
  return { api, config: kc, server: cluster.server };
}

/** impersonate makes the current user send `Impersonate-User` on every request, as kubeconfig's `as` does. */
function impersonate(kc: k8s.KubeConfig, user: string): void {
  const current = kc.getCurrentUser();
  kc.loadFromOptions({
    clusters: kc.getClusters(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
    users: kc.getUsers().map((u) => (u === current ? { ...u, impersonateUser: user } : u)),
  });
}

/** isNotFound reports a 404 from the API server. */
export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

/** statusCode extracts the HTTP status of an API error, if any. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  return typeof e?.code === "number" ? e.code : typeof e?.statusCode === "number" ? e.statusCode : undefined;
}

/** apiMessage extracts the API server's message from an error. */
export function apiMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string } | undefined;
  let body: unknown = e?.body;
  if (typeof body === "string") {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (body && typeof body === "object" && "message" in body && typeof body.message === "string") return body.message;
  const msg = e?.message ?? String(err);
  const m = /"message":"((?:[^"\\]|\\.)*)"/.exec(msg);
  return m ? JSON.parse(`"${m[1]}"`) : msg.split("\n")[0];
}

/** objectHeader is the part of an object that identifies it. */
export function objectHeader(obj: KubeObject): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name!, namespace: obj.metadata.namespace! } };
}
