import { createReadStream } from 'node:fs';
import { EdgesumError, ErrorCodes, ValidationError } from '../core/errors.js';
import type { Json } from '../core/contract.js';
import type { Rejection } from '../core/model/index.js';
import { escapeBlock, escapeLine, jsonText, quoted } from './text.js';
import { locateJsonError } from './json-error.js';

/** Where a command writes: stdout for results, stderr for progress and diagnostics. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal, so progress may redraw one line. */
  readonly interactive: boolean;
}

/** The process's own streams. */
export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/** Bytes a command reads: a file, or standard input (the process's, or what a test hands in). */
export type ByteSource = AsyncIterable<Uint8Array>;

/** Bounds on what the CLI reads, so no input can make it hold more than this much at once. */
export const InputLimits = {
  /**
   * Longest JSONL line, in bytes. Room for a report at its 64 KiB body limit even with every
   * character escaped; a longer line is rejected by number and skipped without being held.
   */
  lineBytes: 512 * 1024,
  /** Largest JSON file (`--input`, `--options @file`), in bytes. */
  jsonFileBytes: 64 * 1024 * 1024,
} as const;

const bom = [0xef, 0xbb, 0xbf] as const;

/** Why a file could not be read, by its error code, without the absolute paths Node's messages carry. */
function readFailure(path: string, error: unknown): ValidationError {
  const code = (error as { code?: unknown } | null)?.code;
  const reasons: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory', EMFILE: 'too many open files' };
  const reason = typeof code === 'string' ? `${reasons[code] ?? 'cannot be read'} (${code})` : 'cannot be read';
  return new ValidationError(ErrorCodes.InvalidInput, `cannot read ${quoted(path)}: ${reason}`, { cause: error });
}

/**
 * The bytes of a file, or of standard input for `-`, as they arrive. A file that cannot be
 * opened or read ends the iteration with a `ValidationError` naming it.
 */
export async function* openInput(path: string, stdin: ByteSource): ByteSource {
  if (path === '-') {
    yield* stdin;
    return;
  }
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  } catch (error) {
    throw readFailure(path, error);
  }
}

/** Reads a whole JSON file (or stdin for `-`) of at most `maxBytes`, without a leading byte order mark. */
export async function readText(path: string, stdin: ByteSource, maxBytes: number = InputLimits.jsonFileBytes): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of openInput(path, stdin)) {
    length += chunk.length;
    if (length > maxBytes) throw new ValidationError(ErrorCodes.InvalidInput, `${quoted(path)} is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let bytes = Buffer.concat(chunks);
  if (bytes[0] === bom[0] && bytes[1] === bom[1] && bytes[2] === bom[2]) bytes = bytes.subarray(3);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new ValidationError(ErrorCodes.InvalidInput, `${quoted(path)} is not valid UTF-8 text`, { cause: error });
  }
}

/**
 * Parses a JSON option given inline or as `@file` (`@-` for stdin), naming the flag on failure.
 * A file that is not JSON is named with the line and column of the error, never quoted.
 */
export async function readJsonOption(value: string, flag: string, stdin: ByteSource): Promise<Json> {
  if (!value.startsWith('@')) return parseJson(value, `${flag}: not valid JSON`);
  const path = value.slice(1);
  return parseJson(await readText(path, stdin), `${flag}: ${quoted(path)} is not valid JSON`);
}

/** Parses JSON text; on failure a `ValidationError` says where (line, column) and why, without quoting the text. */
export function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    const { line, column, reason } = locateJsonError(text);
    throw new ValidationError(ErrorCodes.InvalidInput, `${what} at line ${line}, column ${column}: ${reason}`, {
      issues: [{ path: '', message: `line ${line}, column ${column}: ${reason}` }],
    });
  }
}

/** One line of a JSONL stream: its 1-based number and its JSON value, or why it was rejected. */
export type JsonLine = { readonly line: number; readonly item: unknown } | { readonly line: number; readonly rejection: Rejection };

/**
 * Streams the items of a JSONL byte stream, one per non-blank line, with a rejection for every
 * line that is too long, not UTF-8 or not JSON. Holds at most one line of `maxLineBytes` at a
 * time whatever the input's size: the bytes of a longer line are dropped as they arrive. A UTF-8
 * byte order mark before line 1 is skipped. Rejection indexes are line numbers minus one.
 */
export async function* readJsonLines(source: ByteSource, maxLineBytes: number = InputLimits.lineBytes): AsyncGenerator<JsonLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let held = 0;
  let dropped = 0;
  let line = 1;

  const finish = (): JsonLine | undefined => {
    const number = line;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const tooLong = dropped > 0;
    const length = held + dropped;
    parts = [];
    held = 0;
    dropped = 0;
    line++;
    const reject = (message: string): JsonLine => ({ line: number, rejection: { index: number - 1, code: ErrorCodes.InvalidInput, issues: [{ path: '', message }] } });
    if (tooLong) return reject(`line is ${length} bytes, longer than the ${maxLineBytes} byte limit; skipped`);
    const start = number === 1 && bytes[0] === bom[0] && bytes[1] === bom[1] && bytes[2] === bom[2] ? 3 : 0;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start));
    } catch {
      return reject('not valid UTF-8');
    }
    if (text.trim() === '') return undefined;
    try {
      return { line: number, item: JSON.parse(text) as unknown };
    } catch {
      const { column, reason } = locateJsonError(text);
      return reject(`not valid JSON at column ${column}: ${reason}`);
    }
  };
  const take = (chunk: Uint8Array, from: number, to: number) => {
    if (to <= from) return;
    if (dropped > 0 || held + (to - from) > maxLineBytes) {
      dropped += to - from;
      return;
    }
    parts.push(chunk.subarray(from, to));
    held += to - from;
  };

  for await (const chunk of source) {
    let from = 0;
    for (let newline = chunk.indexOf(0x0a, from); newline >= 0; newline = chunk.indexOf(0x0a, from)) {
      take(chunk, from, newline);
      from = newline + 1;
      const result = finish();
      if (result !== undefined) yield result;
    }
    take(chunk, from, chunk.length);
    // A held part of a line must not pin the whole chunk it came from.
    if (parts.length > 0 && parts[parts.length - 1]!.buffer === chunk.buffer) parts[parts.length - 1] = Uint8Array.prototype.slice.call(parts[parts.length - 1]!);
  }
  if (held > 0 || dropped > 0) {
    const result = finish();
    if (result !== undefined) yield result;
  }
}

/** One line per rejected item: where, the code, and each failing field, with control characters escaped. */
export function formatRejection(rejection: Rejection, where: string): string {
  const fields = rejection.issues.map((issue) => (issue.path === '' ? escapeLine(issue.message) : `${escapeLine(issue.path)}: ${escapeLine(issue.message)}`)).join('; ');
  return `${where}: ${rejection.code}: ${fields}\n`;
}

/** How errors are printed. */
export interface ErrorFormat {
  readonly json: boolean;
  /** Print stack traces (`--debug`). */
  readonly debug: boolean;
}

/** The message of any thrown value, read without calling anything a hostile value could define. */
function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  try {
    // Node puts a require stack of absolute paths after the first line of a module error's message.
    if (error instanceof Error && typeof error.message === 'string') return error.message.split('\n', 1)[0]!;
  } catch {
    // A message getter that throws leaves only the fallback below.
  }
  return 'a value that is not an Error was thrown';
}

/** The stack of an error and of the errors that caused it, read as defensively as its message. */
function stackOf(error: unknown): string | undefined {
  const stacks: string[] = [];
  try {
    for (let at: unknown = error; at instanceof Error && stacks.length < 8; at = at.cause) {
      if (typeof at.stack === 'string') stacks.push(stacks.length === 0 ? at.stack : `caused by ${at.stack}`);
    }
  } catch {
    // A hostile stack or cause getter ends the chain where it stands.
  }
  return stacks.length === 0 ? undefined : stacks.join('\n');
}

/**
 * Renders an error for people (message and hint, control characters escaped) or as JSON. Any
 * error that is not an `EdgesumError` is reported as `EDGESUM_INTERNAL`. Stack traces, which name
 * absolute paths, appear only with `--debug`.
 */
export function formatError(error: unknown, format: ErrorFormat): string {
  const typed = error instanceof EdgesumError ? error : new EdgesumError(ErrorCodes.Internal, messageOf(error), { cause: error });
  const stack = format.debug ? stackOf(error) : undefined;
  if (format.json) return `${jsonText({ error: stack === undefined ? typed.toJSON() : { ...typed.toJSON(), stack } })}\n`;
  const lines = [`error ${typed.code}: ${escapeLine(typed.message)}`, `  hint: ${typed.hint}`];
  if (stack !== undefined) lines.push(escapeBlock(stack).replace(/^/gm, '  '));
  return `${lines.join('\n')}\n`;
}

/** A one-line progress indicator on stderr, redrawn in place on a terminal and silent otherwise. */
export function progress(output: Output, label: string): { update(done: number, total: number): void; end(): void } {
  let last = -1;
  return {
    update(done, total) {
      if (!output.interactive) return;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === last) return;
      last = percent;
      output.err(`\r${label} ${percent}% (${done}/${total})`);
    },
    end() {
      if (output.interactive && last >= 0) output.err('\r\x1b[K');
    },
  };
}
