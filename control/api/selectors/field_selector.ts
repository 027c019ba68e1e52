/**
 * Field selectors (`?fieldSelector=metadata.name=web,status.phase!=Running`), as apimachinery
 * `pkg/fields` parses them: `=`, `==` and `!=` terms joined by commas, with `\,` `\=` `\\`
 * escapes. Which fields a kind supports is the kind's business; this file only parses and
 * matches.
 *
 * @example Match a pod's fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFieldSelector } from "./field_selector.ts";
 *
 * const sel = parseFieldSelector("spec.nodeName=edge-1,status.phase!=Succeeded");
 * assert.equal(sel.matches({ "spec.nodeName": "edge-1", "status.phase": "Running" }), true);
 * ```
 *
 * @module
 */

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: "=" | "!=";
  readonly value: string;
}

/** A compiled field selector: every term must hold. */
export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = requirements;
  }

  /** Whether it selects everything. */
  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** Whether the object's field values satisfy every term (a missing field counts as `""`). */
  matches(fields: Readonly<Record<string, string | undefined>>): boolean {
    for (const r of this.requirements) {
      const v = fields[r.field] ?? "";
      if ((v === r.value) !== (r.operator === "=")) return false;
    }
    return true;
  }

  /** The value an `=` term requires of `field`, if there is one (for `metadata.name=x`). */
  requiredValue(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === "=")?.value;
  }
}

/** A field selector string that cannot be parsed. */
export class FieldSelectorParseError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "FieldSelectorParseError";
  }
}

/** Splits on unescaped `sep`, keeping escapes for the next stage. */
function splitTerms(input: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === "\\" && i + 1 < input.length) {
      cur += c + input[i + 1]!;
      i++;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescape(text: string, whole: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      const n = text[i + 1];
      if (n !== "\\" && n !== "," && n !== "=") {
        throw new FieldSelectorParseError(
          `invalid field selector: ${JSON.stringify(whole)}: invalid escape sequence`,
        );
      }
      out += n;
      i++;
    } else if (c === "," || c === "=") {
      throw new FieldSelectorParseError(
        `invalid field selector: ${JSON.stringify(whole)}: unescaped ${c}`,
      );
    } else {
      out += c;
    }
  }
  return out;
}

/** Finds the operator outside escapes: `!=`, `==` or `=`. */
function splitTerm(term: string): [string, "=" | "!=", string] | null {
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "!" && term[i + 1] === "=") return [term.slice(0, i), "!=", term.slice(i + 2)];
    if (c === "=") {
      if (term[i + 1] === "=") return [term.slice(0, i), "=", term.slice(i + 2)];
      return [term.slice(0, i), "=", term.slice(i + 1)];
    }
  }
  return null;
}

/** Parses a field selector; throws {@linkcode FieldSelectorParseError}. */
export function parseFieldSelector(input: string): FieldSelector {
  if (input.trim() === "") return new FieldSelector([]);
  const reqs: FieldRequirement[] = [];
  for (const raw of splitTerms(input)) {
    const term = raw.trim();
    if (term === "") continue;
    const parts = splitTerm(term);
    if (!parts) {
      throw new FieldSelectorParseError(
        `invalid selector: '${input}'; can't understand '${term}'`,
      );
    }
    const [field, operator, value] = parts;
    reqs.push({
      field: unescape(field.trim(), input),
      operator,
      value: unescape(value, input),
    });
  }
  return new FieldSelector(reqs);
}
