// The tfplugin6.Provider service: decodes requests, dispatches to the resource types, and encodes
// answers as Terraform 1.11 expects them (complete objects, wholly known apply results, echoed private
// bytes, errors as diagnostics with status OK).
import { isDeepStrictEqual } from "node:util";
import type { CtyObject, CtyType } from "./cty";
import { hasUnknown } from "./cty";
import { error, errorDiagnostic, warning, type Diagnostic } from "./diagnostics";
import { decodeJsonValue, decodeValue, encodeValue } from "./msgpack";
import { objectType, protoSchema, type Attributes } from "./schema";
import { providerAttributes, providerSettings, validateProviderConfig, type ProviderSettings } from "./config";
import { ApplyFailure, type CallContext, type ResourceType } from "./resources/resource";

/** DynamicValue is the wire form of a value. */
interface Wire {
  msgpack?: Buffer;
  json?: Buffer;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Request = any;

function decode(v: Wire | undefined, t: CtyType): CtyObject | null {
  if (v?.msgpack?.length) return decodeValue(v.msgpack, t) as CtyObject | null;
  if (v?.json?.length) return decodeJsonValue(JSON.parse(v.json.toString("utf8")), t) as CtyObject | null;
  return null;
}

const wire = (value: CtyObject | null, t: CtyType): Wire => ({ msgpack: encodeValue(value, t) });
const bytes = (b: Buffer | undefined): Buffer => b ?? Buffer.alloc(0);
const priv = (b: Buffer | undefined): Buffer | undefined => (b && b.length ? b : undefined);

/**
 * CAPABILITIES: only the first process of a run loads the schema; destroys are planned too, so the plan
 * carries the private state (a Kustomization's exact inventory) to the apply that deletes.
 */
const CAPABILITIES = { get_provider_schema_optional: true, plan_destroy: true };

/** Provider holds the resource types and the configured settings of one plugin process. */
export class Provider {
  private settings: ProviderSettings = {};
  private readonly aborts = new Set<AbortController>();
  private readonly types: Map<string, ResourceType>;

  constructor(resources: ResourceType[]) {
    this.types = new Map(resources.map((r) => [r.typeName, r]));
  }

  /** context is the engine context of one call: warnings become diagnostics, StopProvider aborts it. */
  private context(warnings: Diagnostic[]): CallContext & { done(): void } {
    const { ArtifactStore }: typeof import("../core/artifact/store") = require("../core/artifact/store");
    const abort = new AbortController();
    this.aborts.add(abort);
    return {
      store: new ArtifactStore(this.settings.storeDir),
      cluster: this.settings.cluster,
      clusterUnknown: this.settings.unknown,
      signal: abort.signal,
      log: {
        info: (m) => process.stderr.write(`[INFO] ${m}\n`),
        warn: (m) => warnings.push(warning(m)),
        debug: (m) => process.stderr.write(`[DEBUG] ${m}\n`),
      },
      done: () => this.aborts.delete(abort),
    };
  }

  private type(name: string): ResourceType {
    const t = this.types.get(name);
    if (!t) throw new Error(`fluxiac has no resource type ${name}`);
    return t;
  }

  private objectType(t: ResourceType): CtyType {
    return objectType(t.attributes);
  }

  GetMetadata() {
    return { server_capabilities: CAPABILITIES, diagnostics: [], resources: [...this.types.keys()].map((type_name) => ({ type_name })) };
  }

  GetProviderSchema() {
    return {
      provider: protoSchema(providerAttributes, "fluxiac: Flux's GitOps resources, reconciled during plan and apply."),
      resource_schemas: Object.fromEntries([...this.types.values()].map((t) => [t.typeName, protoSchema(t.attributes, t.description)])),
      data_source_schemas: {},
      functions: {},
      ephemeral_resource_schemas: {},
      diagnostics: [],
      server_capabilities: CAPABILITIES,
    };
  }

  GetFunctions() {
    return { functions: {}, diagnostics: [] };
  }

  ValidateProviderConfig(req: Request) {
    const config = decode(req.config, objectType(providerAttributes));
    return { diagnostics: config ? validateProviderConfig(config) : [] };
  }

  ConfigureProvider(req: Request) {
    const config = decode(req.config, objectType(providerAttributes));
    if (!config) return { diagnostics: [] };
    const problems = validateProviderConfig(config);
    if (problems.length) return { diagnostics: problems };
    if (hasUnknown(config)) {
      // Only during plan: the cluster comes from a resource of this run. Kustomizations plan as known after apply.
      this.settings = { unknown: true };
      return { diagnostics: [] };
    }
    try {
      this.settings = providerSettings(config);
      return { diagnostics: [] };
    } catch (err) {
      return { diagnostics: [error(`fluxiac provider: ${(err as Error).message}`, "Check config_path.", "config_path")] };
    }
  }

  StopProvider() {
    for (const a of this.aborts) a.abort(new Error("Terraform asked the provider to stop"));
    return { Error: "" };
  }

  ValidateResourceConfig(req: Request) {
    const t = this.type(req.type_name);
    const config = decode(req.config, this.objectType(t));
    return { diagnostics: config ? t.validate(config) : [] };
  }

  UpgradeResourceState(req: Request) {
    const t = this.type(req.type_name);
    const json = req.raw_state?.json?.length ? JSON.parse(req.raw_state.json.toString("utf8")) : null;
    // Decoding with the current schema fills attributes added since with null and drops removed ones.
    const state = json === null ? null : (decodeJsonValue(json, this.objectType(t)) as CtyObject);
    return { upgraded_state: wire(state, this.objectType(t)), diagnostics: [] };
  }

  async ReadResource(req: Request) {
    const t = this.type(req.type_name);
    const state = decode(req.current_state, this.objectType(t));
    if (!state) return { new_state: wire(null, this.objectType(t)), diagnostics: [] };
    return this.run(t, state, async (ctx) => {
      const read = await t.read(state, priv(req.private), ctx);
      return { new_state: wire(read?.state ?? null, this.objectType(t)), private: bytes(read ? (read.private ?? req.private) : undefined) };
    });
  }

  async PlanResourceChange(req: Request) {
    const t = this.type(req.type_name);
    const ty = this.objectType(t);
    const prior = decode(req.prior_state, ty);
    const proposed = decode(req.proposed_new_state, ty);
    const config = decode(req.config, ty);
    if (!proposed || !config) return { planned_state: wire(null, ty), planned_private: bytes(req.prior_private), diagnostics: [] };
    return this.run(t, proposed, async (ctx) => {
      const planned = await t.plan({ prior, priorPrivate: priv(req.prior_private), proposed, config }, ctx);
      return { planned_state: wire(planned.state, ty), planned_private: bytes(planned.private), requires_replace: requiresReplace(t.attributes, prior, proposed) };
    });
  }

  async ApplyResourceChange(req: Request) {
    const t = this.type(req.type_name);
    const ty = this.objectType(t);
    const prior = decode(req.prior_state, ty);
    const planned = decode(req.planned_state, ty);
    const config = decode(req.config, ty);
    if (!planned) {
      if (!prior) return { new_state: wire(null, ty), diagnostics: [] };
      return this.run(t, prior, async (ctx) => {
        await t.destroy(prior, priv(req.planned_private), ctx);
        return { new_state: wire(null, ty) };
      }, { new_state: wire(prior, ty), private: bytes(req.planned_private) });
    }
    return this.run(t, planned, async (ctx) => {
      try {
        const applied = await t.apply({ prior, planned, plannedPrivate: priv(req.planned_private), config: config ?? planned }, ctx);
        return { new_state: wire(applied.state, ty), private: bytes(applied.private) };
      } catch (err) {
        if (!(err instanceof ApplyFailure)) throw err;
        return { new_state: wire(err.stored.state, ty), private: bytes(err.stored.private), diagnostics: [errorDiagnostic({ kind: t.kind, name: String(planned.name) }, err.cause)] };
      }
    }, { new_state: wire(prior, ty), private: bytes(req.planned_private) });
  }

  async ImportResourceState(req: Request) {
    const t = this.type(req.type_name);
    return this.run(t, { name: req.id }, async (ctx) => {
      const imported = await t.importState(req.id, ctx);
      return { imported_resources: [{ type_name: t.typeName, state: wire(imported.state, this.objectType(t)), private: bytes(imported.private) }] };
    });
  }

  /**
   * run calls a resource type with a fresh context and turns a thrown error into a diagnostic, answering
   * `onError` beside it (a failed apply keeps the prior state, so nothing is forgotten).
   */
  private async run<R extends object>(t: ResourceType, subject: CtyObject, call: (ctx: CallContext) => Promise<R>, onError: object = {}) {
    const diagnostics: Diagnostic[] = [];
    const ctx = this.context(diagnostics);
    try {
      const result = await call(ctx);
      const extra = (result as { diagnostics?: Diagnostic[] }).diagnostics ?? [];
      return { ...result, diagnostics: [...diagnostics, ...extra] };
    } catch (err) {
      const name = typeof subject.name === "string" ? subject.name : "(unknown)";
      return { ...onError, diagnostics: [...diagnostics, errorDiagnostic({ kind: t.kind, name }, err)] };
    } finally {
      ctx.done();
    }
  }
}

/** requiresReplace lists the `replace` attributes whose value changes on an update. */
function requiresReplace(attributes: Attributes, prior: CtyObject | null, proposed: CtyObject) {
  if (!prior) return [];
  return Object.entries(attributes)
    .filter(([name, a]) => a.replace && !isDeepStrictEqual(prior[name], proposed[name]))
    .map(([name]) => ({ steps: [{ attribute_name: name }] }));
}
