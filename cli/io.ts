import { readFile } from 'node:fs/promises';
import { ErrorCodes, EdgesumError, ValidationError } from '../core/errors.js';
import type { Json } from '../core/contract.js';
import type { Rejection } from '../core/model/index.js';

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

/** Reads a file, or standard input for `-`. */
export async function readInput(path: string): Promise<string> {
  if (path !== '-') {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new ValidationError(ErrorCodes.InvalidInput, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON option given inline or as `@file`, naming the flag on failure. */
export async function readJsonOption(value: string, flag: string): Promise<Json> {
  const text = value.startsWith('@') ? await readInput(value.slice(1)) : value;
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new ValidationError(ErrorCodes.InvalidInput, `${flag}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The items of a JSONL text, with a rejection for every line that is not JSON. Blank lines are skipped. */
export function parseJsonLines(text: string): { items: unknown[]; lines: number[]; rejected: Rejection[] } {
  const items: unknown[] = [];
  const lines: number[] = [];
  const rejected: Rejection[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      items.push(JSON.parse(line));
      lines.push(i + 1);
    } catch (error) {
      rejected.push({ index: i, code: ErrorCodes.InvalidInput, issues: [{ path: '', message: `not valid JSON: ${(error as Error).message}` }] });
    }
  });
  return { items, lines, rejected };
}

/** One line per rejected item: where, the code, and each failing field. */
export function formatRejection(rejection: Rejection, where: string): string {
  const fields = rejection.issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ');
  return `${where}: ${rejection.code}: ${fields}\n`;
}

/** Renders an error for people (with its hint) or as JSON. */
export function formatError(error: unknown, json: boolean): string {
  if (error instanceof EdgesumError) {
    return json ? `${JSON.stringify({ error: error.toJSON() })}\n` : `error ${error.code}: ${error.message}\n  hint: ${error.hint}\n`;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return json ? `${JSON.stringify({ error: { code: 'EDGESUM_INTERNAL', message } })}\n` : `internal error: ${message}\n`;
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
