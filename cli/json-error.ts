/** Where JSON text stops being JSON, and why, in words that quote none of it. */
export interface JsonErrorLocation {
  /** UTF-16 offset of the first character that cannot be there. */
  readonly offset: number;
  /** 1-based line and column of that character. */
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const escapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const hex4 = /[0-9a-fA-F]{4}/y;

/**
 * Finds the first syntax error of a text `JSON.parse` refused. `JSON.parse`'s own messages quote
 * the text around the error, which would echo a file's contents (a `--options @/etc/passwd`) into
 * the terminal; this scan says where instead. Iterative, so any nesting depth is fine.
 */
export function locateJsonError(text: string): JsonErrorLocation {
  const found = scan(text);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < found.offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset: found.offset, line, column: found.offset - lineStart + 1, reason: found.reason };
}

function scan(text: string): { offset: number; reason: string } {
  const stack: ('array' | 'object')[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (reason: string) => ({ offset: i, reason: i >= text.length ? 'unexpected end of input' : reason });
  /** Scans a string starting at `i`; returns a failure or undefined. */
  const string = (): { offset: number; reason: string } | undefined => {
    if (text[i] !== '"') return fail('expected a string');
    i++;
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return undefined;
      }
      if (ch < 0x20) return fail('control character in a string (escape it)');
      if (ch === 0x5c) {
        const next = text[i + 1];
        if (next === 'u') {
          hex4.lastIndex = i + 2;
          if (!hex4.test(text)) return fail('bad \\u escape in a string');
          i += 6;
        } else if (next !== undefined && escapes.has(next)) {
          i += 2;
        } else {
          return fail('bad escape in a string');
        }
        continue;
      }
      i++;
    }
    return fail('unterminated string');
  };

  let expectValue = true;
  for (;;) {
    skipSpace();
    if (expectValue) {
      const ch = text[i];
      if (ch === '{') {
        i++;
        skipSpace();
        if (text[i] === '}') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push('object');
        const bad = string();
        if (bad !== undefined) return text[i] === undefined ? fail('') : bad.reason === 'expected a string' ? fail('expected a property name in double quotes') : bad;
        skipSpace();
        if (text[i] !== ':') return fail("expected ':' after a property name");
        i++;
        continue;
      }
      if (ch === '[') {
        i++;
        skipSpace();
        if (text[i] === ']') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push('array');
        continue;
      }
      if (ch === '"') {
        const bad = string();
        if (bad !== undefined) return bad;
      } else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
        number.lastIndex = i;
        if (!number.test(text)) return fail('malformed number');
        i = number.lastIndex;
      } else if (text.startsWith('true', i)) {
        i += 4;
      } else if (text.startsWith('false', i)) {
        i += 5;
      } else if (text.startsWith('null', i)) {
        i += 4;
      } else {
        return fail('unexpected character where a value should start');
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < text.length ? fail('unexpected text after the JSON value') : { offset: 0, reason: 'not valid JSON' };
    const ch = text[i];
    if (ch === ',') {
      i++;
      if (top === 'object') {
        skipSpace();
        const bad = string();
        if (bad !== undefined) return text[i] === undefined ? fail('') : bad.reason === 'expected a string' ? fail('expected a property name in double quotes') : bad;
        skipSpace();
        if (text[i] !== ':') return fail("expected ':' after a property name");
        i++;
      }
      expectValue = true;
      continue;
    }
    if ((ch === ']' && top === 'array') || (ch === '}' && top === 'object')) {
      i++;
      stack.pop();
      continue;
    }
    return fail(top === 'array' ? "expected ',' or ']'" : "expected ',' or '}'");
  }
}
