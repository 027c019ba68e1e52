/**
 * The served resources of a CustomResourceDefinition: one `ResourceDef` per served version,
 * so the generic handlers serve custom resources as they serve built-in kinds — REST, watch,
 * discovery, OpenAPI, Table output — through the same storage layer and watch cache, under
 * `/registry/<group>/<plural>/`.
 *
 * Each version gets its schemas (`schema_conversion.ts`), a strategy that prunes, defaults and
 * validates with the structural schema and the CEL rules (`cr_values.ts`, `cel_rules.ts`), its
 * status and scale subresources, its printer columns, its selectable fields, and the `None`
 * conversion: objects are stored in the storage version's `apiVersion` and read in the
 * requested one, defaulted on the way out as upstream defaults what it reads from etcd.
 *
 * @example The resources of a CRD
 * ```ts ignore
 * const defs = customResourceDefs(crd);
 * defs.map((d) => `${d.group}/${d.version}/${d.resource}`); // ["stable.example.com/v1/crontabs"]
 * ```
 *
 * @module
 */
import { ALL_VERBS, type FieldGetter, type ResourceDef } from "../registry/resource_def.ts";
import type { Strategy } from "../strategies/strategy.ts";
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
} from "../types/apiextensions_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, invalid } from "../validation/field_errors.ts";
import { evaluateJsonPath, formatJsonPathValue, parseJsonPath } from "./_json_path.ts";
import { compileSchemaRules, evaluateRules, type RuleTree } from "./cel_rules.ts";
import { customResourcePrinter } from "./cr_printer.ts";
import {
  applyDefaults,
  hasDefaults,
  prune,
  validateListsAndEmbedded,
  validateSchemaValue,
} from "./cr_values.ts";
import { convertCustomResourceSchema } from "./schema_conversion.ts";

/** The blocking error upstream adds when type errors keep the CEL rules from running. */
const RULES_NOT_CHECKED =
  "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

/** Everything a version's strategy needs. */
export interface VersionRules {
  /** The version's structural schema. */
  readonly schema: JSONSchemaProps;
  /** Its compiled CEL rules, if any. */
  readonly rules: RuleTree | null;
  /** Whether it declares any default. */
  readonly defaults: boolean;
}

function schemaErrors(obj: KubeObject, r: VersionRules): FieldError[] {
  return [...validateSchemaValue(obj, r.schema), ...validateListsAndEmbedded(obj, r.schema)];
}

/** The rule errors, or upstream's note that type errors kept the rules from running. */
function ruleErrors(
  obj: KubeObject,
  o: { rules: VersionRules; old?: KubeObject; schemaErrors: readonly FieldError[] },
): FieldError[] {
  const tree = o.rules.rules;
  if (!tree) return [];
  if (o.schemaErrors.some((e) => e.type === "typeInvalid" || e.type === "notSupported")) {
    // Upstream reports it at a nil path ("<nil>") with a nil value ("null").
    return [invalid("<nil>", { value: "null", detail: RULES_NOT_CHECKED })];
  }
  return evaluateRules(tree, { value: obj, ...(o.old ? { old: o.old } : {}) });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value at a field error's path (`spec.items[0].name`, `spec.labels.key`, `spec.m[key]`). */
function valueAt(obj: unknown, path: string): { found: boolean; value: unknown } {
  let cur: unknown = obj;
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    const key = m[1] ?? m[2] ?? "";
    if (Array.isArray(cur) && /^\d+$/.test(key)) {
      if (Number(key) >= cur.length) return { found: false, value: undefined };
      cur = cur[Number(key)];
    } else if (isObject(cur) && Object.hasOwn(cur, key)) {
      cur = cur[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

/**
 * Validation ratcheting (upstream `CRDValidationRatcheting`, on by default since 1.30): on
 * updates, errors at values the update did not change are dropped, so objects stored before a
 * schema got stricter stay writable.
 */
function ratchet(errs: FieldError[], o: { obj: KubeObject; old: KubeObject }): FieldError[] {
  return errs.filter((e) => {
    if (e.field === "<nil>") return true;
    // A missing field is compared by the object that should hold it.
    const path = e.type === "required" ? e.field.replace(/(\.[^.[\]]+|\[[^\]]*\])$/, "") : e.field;
    const now = valueAt(o.obj, path);
    const before = valueAt(o.old, path);
    if (now.found !== before.found) return true;
    return now.found && JSON.stringify(now.value) !== JSON.stringify(before.value);
  });
}

/**
 * The strategy of one version of a custom resource: prune and default on every write; on
 * create the schema errors and then the CEL rules; on updates (main resource and status) the
 * same, ratcheted, with transition rules reading the stored object.
 */
export function customResourceStrategy(
  r: VersionRules,
  options: { readonly statusSubresource: boolean; readonly warning?: string },
): Strategy {
  const update = (obj: KubeObject, old: KubeObject) => {
    const errs = ratchet(schemaErrors(obj, r), { obj, old });
    const rules = ratchet(ruleErrors(obj, { rules: r, old, schemaErrors: errs }), { obj, old });
    return [...errs, ...rules];
  };
  return {
    default(obj) {
      prune(obj, r.schema);
      if (r.defaults) applyDefaults(obj, r.schema);
    },
    prepareForCreate(obj) {
      // Upstream drops the status of a new object whose kind has a status subresource.
      if (options.statusSubresource) delete obj.status;
    },
    validateCreate(obj) {
      const errs = schemaErrors(obj, r);
      return [...errs, ...ruleErrors(obj, { rules: r, schemaErrors: errs })];
    },
    validateUpdate: update,
    validateStatusUpdate: update,
    ...(options.warning ? { warnings: () => [options.warning!] } : {}),
  };
}

function fieldGetter(jsonPath: string): FieldGetter | null {
  let parsed;
  try {
    parsed = parseJsonPath(jsonPath);
  } catch {
    return null;
  }
  return (obj) => {
    const v = evaluateJsonPath(parsed, obj)[0];
    if (v === undefined || v === null || typeof v === "object") return undefined;
    return formatJsonPathValue(v);
  };
}

/** A kube-like version's stability and numbers (`v1beta2` → [2, 1, 2]); [0, 0, 0] otherwise. */
function versionRank(v: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0];
  return [m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
}

function compareRank(a: string, b: string): number {
  const x = versionRank(a);
  const y = versionRank(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Upstream's default deprecation warning: `<group>/<version> <Kind> is deprecated`, naming the
 * most preferred served, not deprecated version of at least the same stability, if any.
 */
function deprecationWarning(
  crd: CustomResourceDefinition,
  o: { version: CustomResourceDefinitionVersion; kind: string },
): string | undefined {
  const v = o.version;
  if (!v.deprecated) return undefined;
  if (v.deprecationWarning) return v.deprecationWarning;
  const group = crd.spec.group;
  const text = `${group}/${v.name} ${o.kind} is deprecated`;
  const stability = versionRank(v.name)[0];
  const better = crd.spec.versions
    .filter((x) => x.served && !x.deprecated && versionRank(x.name)[0] >= stability)
    .map((x) => x.name)
    .sort(compareRank)[0];
  return better ? `${text}; use ${group}/${better} ${o.kind}` : text;
}

/** Options of {@linkcode customResourceDefs}. */
export interface CustomResourceDefsOptions {
  /** The CRD is being deleted: its resources refuse new objects. */
  readonly terminating?: boolean;
}

/** The `ResourceDef` of every served version of `crd` (empty when it serves none). */
export function customResourceDefs(
  crd: CustomResourceDefinition,
  options: CustomResourceDefsOptions = {},
): ResourceDef[] {
  const spec = crd.spec;
  const accepted = crd.status?.acceptedNames;
  const names = {
    kind: accepted?.kind || spec.names.kind,
    plural: spec.names.plural,
    singular: accepted?.singular || spec.names.singular || spec.names.kind.toLowerCase(),
    shortNames: accepted?.shortNames ?? spec.names.shortNames ?? [],
    categories: accepted?.categories ?? spec.names.categories ?? [],
  };
  const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? "";
  const group = spec.group;
  const byVersion = new Map<string, VersionRules>();
  for (const v of spec.versions) {
    const schema = (v.schema?.openAPIV3Schema ?? { type: "object" }) as JSONSchemaProps;
    byVersion.set(v.name, {
      schema,
      rules: compileSchemaRules(schema).tree,
      defaults: hasDefaults(schema),
    });
  }
  const verbs = options.terminating ? ALL_VERBS.filter((v) => v !== "create") : ALL_VERBS;
  const defs: ResourceDef[] = [];
  for (const v of spec.versions) {
    if (!v.served) continue;
    const rules = byVersion.get(v.name)!;
    const gv = `${group}/${v.name}`;
    const schemas = convertCustomResourceSchema(rules.schema, {
      group,
      version: v.name,
      kind: names.kind,
    });
    const statusSubresource = v.subresources?.status !== undefined;
    const scale = v.subresources?.scale;
    const fieldSelectors: Record<string, FieldGetter> = {};
    for (const f of v.selectableFields ?? []) {
      const get = fieldGetter(f.jsonPath);
      if (get) fieldSelectors[f.jsonPath.replace(/^\./, "")] = get;
    }
    const warning = deprecationWarning(crd, { version: v, kind: names.kind });
    const strategy = customResourceStrategy(rules, {
      statusSubresource,
      ...(warning ? { warning } : {}),
    });
    defs.push({
      group,
      version: v.name,
      kind: names.kind,
      resource: names.plural,
      singular: names.singular,
      namespaced: spec.scope === "Namespaced",
      ...(names.shortNames.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories.length ? { categories: names.categories } : {}),
      verbs,
      schema: schemas.decode,
      openApiSchema: schemas.published,
      strategy,
      printer: customResourcePrinter(v.additionalPrinterColumns ?? []),
      custom: true,
      tracksGeneration: true,
      ...(statusSubresource ? { statusSubresource: true } : {}),
      ...(scale
        ? {
          scale: {
            specReplicasPath: scale.specReplicasPath,
            statusReplicasPath: scale.statusReplicasPath,
            // "" reads nothing: no selector, as upstream without labelSelectorPath.
            labelSelectorPath: scale.labelSelectorPath ?? "",
          },
        }
        : {}),
      ...(Object.keys(fieldSelectors).length ? { fieldSelectors } : {}),
      conversion: {
        storageGroup: group,
        // storagePrefixOf puts a conversion's objects under /registry/<storageResource>/.
        storageResource: `${group}/${names.plural}`,
        fromStorage(obj) {
          const stored = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
          const from = byVersion.get(stored.slice(group.length + 1));
          if (from?.defaults) applyDefaults(obj, from.schema);
          if (stored !== gv) {
            obj.apiVersion = gv;
            if (rules.defaults) applyDefaults(obj, rules.schema);
          }
          return obj;
        },
        toStorage(obj) {
          return { ...obj, apiVersion: `${group}/${storage}` };
        },
      },
    });
  }
  return defs;
}
