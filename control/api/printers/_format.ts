/**
 * Cell formatting shared by the printers, matching apimachinery's `labels.FormatLabels`,
 * `metav1.FormatLabelSelector` and the helpers of upstream `printers.go`.
 *
 * @module
 */
import { canonicalQuantity } from "../types/quantity.ts";
import { isQualifiedName, isValidLabelValue } from "../validation/names.ts";
import { humanDuration } from "./duration.ts";
import { arr, dig, type JsonObject, obj, str, stringMap } from "./_fields.ts";

/** Go's zero `time.Time` (`0001-01-01T00:00:00Z`) in Unix milliseconds. */
const ZERO_TIME_MS = Date.parse("0001-01-01T00:00:00Z");

/**
 * Parses a `metav1.Time`/`MicroTime` JSON value; `undefined` when missing, unparsable or Go's
 * zero time (which upstream treats as unset).
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms === ZERO_TIME_MS) return undefined;
  return ms;
}

/** Time since `value` as `HumanDuration` (`5m`), or `<unknown>` when unset. */
export function since(value: unknown, nowMs: number): string {
  const t = parseTime(value);
  return t === undefined ? "<unknown>" : humanDuration(nowMs - t);
}

/** The AGE cell: time since `metadata.creationTimestamp`. */
export function age(o: JsonObject, nowMs: number): string {
  return since(dig(o, "metadata", "creationTimestamp"), nowMs);
}

/** RFC 3339 in UTC with whole seconds, as Go's `time.RFC3339`; zero time when unset. */
export function rfc3339(value: unknown): string {
  const t = parseTime(value) ?? ZERO_TIME_MS;
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}

/** `k=v` pairs sorted by key and joined by `,`; `<none>` when empty (`labels.FormatLabels`). */
export function formatLabels(value: unknown): string {
  const labels = stringMap(value);
  const keys = Object.keys(labels).sort(compareStrings);
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels[k]}`).join(",");
}

/** Byte-wise (UTF-16 code unit) string order, as Go's `sort.Strings` for ASCII. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Requirement {
  key: string;
  text: string;
}

function requirementError(key: string, values: readonly string[]): boolean {
  if (isQualifiedName(key).length > 0) return true;
  return values.some((v) => isValidLabelValue(v).length > 0);
}

/**
 * A label selector in selector syntax (`app=web,tier in (a,b),!gone`), requirements sorted by
 * key, as `metav1.LabelSelectorAsSelector(...).String()`. Returns `""` for a missing or empty
 * selector and `undefined` for an invalid one.
 */
export function labelSelectorString(value: unknown): string | undefined {
  if (value === undefined || value === null) return "";
  const sel = obj(value);
  const matchLabels = stringMap(sel.matchLabels);
  const expressions = arr(sel.matchExpressions);
  const reqs: Requirement[] = [];
  for (const [key, v] of Object.entries(matchLabels)) {
    if (requirementError(key, [v])) return undefined;
    reqs.push({ key, text: `${key}=${v}` });
  }
  for (const e of expressions) {
    const expr = obj(e);
    const key = str(expr.key);
    const values = arr(expr.values).map(str);
    const op = str(expr.operator);
    const sorted = [...values].sort(compareStrings).join(",");
    let text: string;
    switch (op) {
      case "In":
      case "NotIn":
        if (values.length === 0) return undefined;
        text = `${key} ${op === "In" ? "in" : "notin"} (${sorted})`;
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length !== 0) return undefined;
        text = op === "Exists" ? key : `!${key}`;
        break;
      default:
        return undefined;
    }
    if (requirementError(key, values)) return undefined;
    reqs.push({ key, text });
  }
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return reqs.map((r) => r.text).join(",");
}

/** `metav1.FormatLabelSelector`: the selector string, `<none>` when empty, `<error>` if invalid. */
export function formatLabelSelector(value: unknown): string {
  const s = labelSelectorString(value);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

/** The CONTAINERS and IMAGES cells: names and images joined by `,`. */
export function containerCells(containers: unknown): [string, string] {
  const list = arr(containers).map(obj);
  return [list.map((c) => str(c.name)).join(","), list.map((c) => str(c.image)).join(",")];
}

/** The containers of a pod template (`<template>.spec.containers`). */
export function templateContainers(template: unknown): [string, string] {
  return containerCells(dig(template, "spec", "containers"));
}

/**
 * A `resource.Quantity` as upstream prints it (`Quantity.String()`, the canonical form:
 * `1.5Gi` prints `1536Mi`); a missing quantity is `0`, an unparsable one prints as stored.
 */
export function quantity(value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") return "0";
  if (value === "") return "0";
  try {
    return canonicalQuantity(value);
  } catch {
    return String(value);
  }
}

/** Access modes as `RWO,ROX,RWX,RWOP`, in that order, each once. */
export function accessModes(value: unknown): string {
  const modes = new Set(arr(value).map(str));
  const out: string[] = [];
  if (modes.has("ReadWriteOnce")) out.push("RWO");
  if (modes.has("ReadOnlyMany")) out.push("ROX");
  if (modes.has("ReadWriteMany")) out.push("RWX");
  if (modes.has("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

/** A Go `*bool` as printed by upstream's `printBoolPtr`: `True`, `False` or `<unset>`. */
export function boolPtr(value: unknown): string {
  if (value === true) return "True";
  if (value === false) return "False";
  return "<unset>";
}

/** An `IntOrString` as its string form (`2`, `50%`), or `undefined` when unset. */
export function intOrString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(Math.trunc(value));
  if (typeof value === "string") return value;
  return undefined;
}

/** Up to `max` items joined by `,`, then ` + N more...`; `<unset>` for none (`listWithMoreString`). */
export function listWithMore(
  list: readonly string[],
  options: { count: number; max: number },
): string {
  const shown = list.slice(0, options.max).join(",");
  if (options.count > options.max) return `${shown} + ${options.count - options.max} more...`;
  return shown === "" ? "<unset>" : shown;
}

/** Sorted, de-duplicated load-balancer ingress IPs (or hostnames) joined by `,`. */
export function loadBalancerIngress(status: unknown): string {
  const out = new Set<string>();
  for (const i of arr(dig(status, "ingress"))) {
    const ing = obj(i);
    const ip = str(ing.ip);
    const host = str(ing.hostname);
    if (ip !== "") out.add(ip);
    else if (host !== "") out.add(host);
  }
  return [...out].sort(compareStrings).join(",");
}

/** The owner reference with `controller: true`, if any (`metav1.GetControllerOf`). */
export function controllerOf(o: JsonObject): JsonObject | undefined {
  for (const ref of arr(dig(o, "metadata", "ownerReferences"))) {
    if (obj(ref).controller === true) return obj(ref);
  }
  return undefined;
}
