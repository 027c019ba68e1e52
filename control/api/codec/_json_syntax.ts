/**
 * Finds the first syntax error in a JSON text and describes it as Go's `encoding/json` scanner
 * does (`invalid character '}' looking for beginning of object key string`), since the API
 * server's messages quote it. Only runs on the error path, after `JSON.parse` failed.
 *
 * @module
 */

/** A syntax error as Go's scanner reports it, at a character offset. */
export interface GoSyntaxError {
  readonly message: string;
  readonly offset: number;
}

const GO_ESCAPES: Readonly<Record<number, string>> = {
  0x07: "\\a",
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0b: "\\v",
  0x0c: "\\f",
  0x0d: "\\r",
};

/** Go's `quoteChar`: the byte in single quotes, escaped as `strconv.Quote` would. */
export function goQuoteChar(text: string, at: number): string {
  const code = text.codePointAt(at) ?? 0;
  if (code === 0x27) return "'\\''";
  if (code === 0x22) return "'\"'";
  if (code === 0x5c) return "'\\\\'";
  if (code < 0x20 || code === 0x7f) {
    return `'${GO_ESCAPES[code] ?? `\\x${code.toString(16).padStart(2, "0")}`}'`;
  }
  if (code < 0x80) return `'${String.fromCharCode(code)}'`;
  // Go reads one byte: the first byte of the UTF-8 encoding, taken as a Latin-1 rune.
  const lead = new TextEncoder().encode(String.fromCodePoint(code))[0] ?? 0;
  if (lead < 0xa0 || lead === 0xad) return `'\\u00${lead.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(lead)}'`;
}

const OBJECT = 0;
const ARRAY = 1;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * The first syntax error in `text` (Go's message and the offset), or `null` when the text is
 * well-formed JSON nested at most `maxDepth` deep.
 */
export function findJsonSyntaxError(text: string, maxDepth: number): GoSyntaxError | null {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;
  const fail = (at: number, context: string): GoSyntaxError =>
    at >= n
      ? { message: "unexpected end of JSON input", offset: n }
      : { message: `invalid character ${goQuoteChar(text, at)} ${context}`, offset: at };
  // At the end of input Go's scanner steps one more space: partial numbers, literals and
  // escapes then fail on that space.
  const failSpace = (context: string): GoSyntaxError => ({
    message: `invalid character ' ' ${context}`,
    offset: n,
  });
  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };

  /** Reads a string starting at its opening quote; returns an error or null. */
  const readString = (): GoSyntaxError | null => {
    i++;
    for (;;) {
      if (i >= n) return fail(i, "");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c === 0x5c) {
        i++;
        if (i >= n) return failSpace("in string escape code");
        const e = text.charCodeAt(i);
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= n) return failSpace("in \\u hexadecimal character escape");
            if (!isHex(text.charCodeAt(i + k))) {
              return fail(i + k, "in \\u hexadecimal character escape");
            }
          }
          i += 5;
          continue;
        }
        if ('"\\/bfnrt'.includes(text[i]!)) {
          i++;
          continue;
        }
        return fail(i, "in string escape code");
      }
      if (c < 0x20) return fail(i, "in string literal");
      i++;
    }
  };

  const readNumber = (): GoSyntaxError | null => {
    if (text.charCodeAt(i) === 0x2d) {
      i++;
      if (i >= n) return failSpace("in numeric literal");
      if (!isDigit(text.charCodeAt(i))) return fail(i, "in numeric literal");
    }
    if (text.charCodeAt(i) === 0x30) {
      i++;
    } else {
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      i++;
      if (i >= n) return failSpace("after decimal point in numeric literal");
      if (!isDigit(text.charCodeAt(i))) return fail(i, "after decimal point in numeric literal");
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && (text.charCodeAt(i) === 0x65 || text.charCodeAt(i) === 0x45)) {
      i++;
      if (i < n && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
      if (i >= n) return failSpace("in exponent of numeric literal");
      if (!isDigit(text.charCodeAt(i))) return fail(i, "in exponent of numeric literal");
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    return null;
  };

  const readLiteral = (word: string): GoSyntaxError | null => {
    for (let k = 1; k < word.length; k++) {
      if (i + k >= n) return failSpace(`in literal ${word} (expecting '${word[k]}')`);
      if (text[i + k] !== word[k]) {
        return fail(i + k, `in literal ${word} (expecting '${word[k]}')`);
      }
    }
    i += word.length;
    return null;
  };

  /** Reads `"key" :` (at the opening quote). */
  const readKeyColon = (): GoSyntaxError | null => {
    const err = readString();
    if (err) return err;
    skipSpace();
    if (i >= n) return fail(i, "");
    if (text.charCodeAt(i) !== 0x3a) return fail(i, "after object key");
    i++;
    return null;
  };

  /**
   * Reads the start of a value: a whole scalar, or opening containers (left open on the stack)
   * down to their first scalar. A loop, not recursion, so any depth is safe.
   */
  const beginValue = (): GoSyntaxError | null => {
    for (;;) {
      skipSpace();
      if (i >= n) return fail(i, "");
      const c = text.charCodeAt(i);
      switch (c) {
        case 0x7b:
        case 0x5b: {
          stack.push(c === 0x7b ? OBJECT : ARRAY);
          if (stack.length > maxDepth) return fail(i, "exceeded max depth");
          i++;
          skipSpace();
          if (i >= n) return fail(i, "");
          const d = text.charCodeAt(i);
          if (c === 0x7b) {
            if (d === 0x7d) {
              i++;
              stack.pop();
              return null;
            }
            if (d !== 0x22) return fail(i, "looking for beginning of object key string");
            const err = readKeyColon();
            if (err) return err;
          } else if (d === 0x5d) {
            i++;
            stack.pop();
            return null;
          }
          continue;
        }
        case 0x22:
          return readString();
        case 0x74:
          return readLiteral("true");
        case 0x66:
          return readLiteral("false");
        case 0x6e:
          return readLiteral("null");
        default:
          if (c === 0x2d || isDigit(c)) return readNumber();
          return fail(i, "looking for beginning of value");
      }
    }
  };

  let err = beginValue();
  while (err === null && stack.length > 0) {
    skipSpace();
    if (i >= n) return fail(i, "");
    const c = text.charCodeAt(i);
    if (stack[stack.length - 1] === OBJECT) {
      if (c === 0x2c) {
        i++;
        skipSpace();
        if (i >= n) return fail(i, "");
        if (text.charCodeAt(i) !== 0x22) {
          return fail(i, "looking for beginning of object key string");
        }
        err = readKeyColon() ?? beginValue();
      } else if (c === 0x7d) {
        i++;
        stack.pop();
      } else {
        return fail(i, "after object key:value pair");
      }
    } else if (c === 0x2c) {
      i++;
      err = beginValue();
    } else if (c === 0x5d) {
      i++;
      stack.pop();
    } else {
      return fail(i, "after array element");
    }
  }
  if (err) return err;
  skipSpace();
  if (i < n) return fail(i, "after top-level value");
  return null;
}
