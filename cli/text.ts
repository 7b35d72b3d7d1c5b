/**
 * Text the CLI prints from data it does not control (plugin names, thrown messages, decision
 * reasons, field names, file names) goes through here, so it can neither drive the terminal (ANSI
 * escapes), reorder what is shown (bidi controls) nor forge diagnostic lines (newlines).
 */

/** C0 controls but tab and newline, DEL, C1 controls, and the bidi and line-separator controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this module is for
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, with newline. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this module is for
const lineControls = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const named: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r' };

function escapeOne(char: string): string {
  const code = char.charCodeAt(0);
  return named[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** Escapes control characters, newlines included: for a fragment printed inside one line. */
export function escapeLine(text: string): string {
  return text.replace(lineControls, escapeOne);
}

/** Escapes control characters but newlines and tabs: for multi-line text the CLI lays out itself. */
export function escapeBlock(text: string): string {
  return text.replace(controls, escapeOne);
}

/**
 * `JSON.stringify` with the characters it leaves raw that terminals act on (DEL, C1, bidi and line
 * separators) written as `\u` escapes: the same JSON value, safe to print.
 */
export function jsonText(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value given on the command line, quoted for a message: escaped and cut to `max` characters. */
export function quoted(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return `"${escapeLine(cut)}"`;
}
