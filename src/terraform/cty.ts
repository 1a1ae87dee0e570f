// cty, Terraform's type system, as plain data: type expressions in their JSON form, and values as
// JavaScript values with one marker for "not known until apply".

/** PrimitiveType is a cty primitive type. */
export type PrimitiveType = "string" | "number" | "bool";

/** CtyType is a cty type in its JSON form (`"string"`, `["list","string"]`, `["object",{…}]`…). */
export type CtyType =
  | PrimitiveType
  | "dynamic"
  | ["list", CtyType]
  | ["set", CtyType]
  | ["map", CtyType]
  | ["object", Record<string, CtyType>]
  | ["tuple", CtyType[]];

/** Unknown is the class of UNKNOWN. */
export class Unknown {
  private constructor() {}
  /** instance is the one unknown value. */
  static readonly instance = new Unknown();
  toJSON(): string {
    return "(known after apply)";
  }
}

/** UNKNOWN is a value Terraform does not know yet (a computed attribute during plan). */
export const UNKNOWN = Unknown.instance;

/** DynamicValue is a value of type "dynamic": its concrete type travels with it. */
export interface DynamicValue {
  type: CtyType;
  value: CtyValue;
}

/** CtyValue is a cty value: null, unknown, a primitive, a list/set/tuple (array), or a map/object. */
export type CtyValue = null | Unknown | string | number | boolean | CtyValue[] | DynamicValue | { [key: string]: CtyValue };

/** CtyObject is an object value, keyed by attribute name. */
export type CtyObject = { [key: string]: CtyValue };

/** isUnknown reports whether a value is UNKNOWN. */
export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

/** hasUnknown reports whether a value or anything nested in it is unknown. */
export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}

/** typeJson is a type as the bytes Terraform expects in Schema.Attribute.type. */
export function typeJson(t: CtyType): Buffer {
  return Buffer.from(JSON.stringify(t));
}
