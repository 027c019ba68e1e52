/**
 * `$(VAR)` references as the kubelet expands them in env values, command, args and
 * `subPathExpr`: `$(NAME)` is replaced by the mapping's value, `$$` is an escaped `$`, and
 * anything else (`$x`, an unclosed `$(`) is kept as written.
 *
 * @module
 */

/** Looks a variable up; returns its value, or the reference unchanged when unknown. */
export type ExpansionMapping = (name: string) => string;

/** `$(name)`, the form an unknown reference is kept in. */
export function variableReference(name: string): string {
  return `$(${name})`;
}

/**
 * A mapping over `maps`, the first holding a name winning; unknown names stay `$(name)`.
 */
export function mappingFor(
  ...maps: readonly ReadonlyMap<string, string>[]
): ExpansionMapping {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return variableReference(name);
  };
}

/** `input` with its references expanded through `mapping`. */
export function expand(input: string, mapping: ExpansionMapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === "$") {
      out += "$";
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close < 0) {
        out += "$(";
      } else {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      }
    } else {
      out += "$" + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
