/**
 * Fuzzes the JSONL path of `edgesum reduce`: the streaming line reader with random bytes and
 * lines cut at random chunk boundaries (checked against a whole-buffer reference), and the whole
 * command through `runCli` with random files on stdin. Seeded, so every run is the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { readJsonLines, type JsonLine } from '../../cli/io.js';
import { locateJsonError } from '../../cli/json-error.js';
import { ErrorCodes } from '../../core/errors.js';
import { parseReport, reportKey } from '../../core/model/index.js';
import { builtinCases } from '../support/builtins.js';
import { json, nestedArray, refs } from './arbitraries.js';

/** Reports kept simple to generate (the ingest suite covers rich ones): what varies is the line around them. */
const template = fc.record({ destination: fc.constantFrom('edge-1', 'edge-2', 'edge-3', 'edge-4'), ref: fc.constantFrom(...refs), status: json }).map((report) => ({
  ...report,
  observedAt: '2026-11-24T09:59:00Z',
}));
const bom = Buffer.from([0xef, 0xbb, 0xbf]);
const cap = 2048;

/** One line of a generated file, and whether it is a valid report (then its key). */
interface Line {
  readonly bytes: Buffer;
  readonly key?: string;
  readonly seq?: number;
}

const reportLine = fc.tuple(template, fc.nat({ max: 5 })).map(([report, seq]): Line => {
  const full = { ...report, seq };
  return { bytes: Buffer.from(JSON.stringify(full)), key: reportKey(full), seq };
});
const junkLine = fc.oneof(
  fc.string({ maxLength: 40, unit: 'binary' }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  json.map((value) => Buffer.from(JSON.stringify(value))),
  fc.constantFrom('', '   ', '\r', '{', '[1,', '"\\x"', '{"__proto__":1}', 'null', '\u001b[31m{}', `{"status":${JSON.stringify(nestedArray(100))}}`).map((text) => Buffer.from(text)),
  fc.nat({ max: 3 * cap }).map((n) => Buffer.from(`"${'x'.repeat(n)}"`)),
  fc.constant(Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)),
);
const line = fc.oneof({ weight: 2, arbitrary: reportLine }, { weight: 3, arbitrary: junkLine.map((bytes): Line => ({ bytes })) });

/** A file as bytes: lines joined by \n or \r\n, maybe with a BOM and a final newline. */
const file = fc.record({ lines: fc.array(line, { maxLength: 12 }), bom: fc.boolean(), crlf: fc.boolean(), trailing: fc.boolean() }).map(({ lines, bom: withBom, crlf, trailing }) => {
  const body = Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l.bytes] : [Buffer.from(crlf ? '\r\n' : '\n'), l.bytes])));
  return { lines, bytes: Buffer.concat([withBom ? bom : Buffer.alloc(0), body, trailing ? Buffer.from('\n') : Buffer.alloc(0)]) };
});

/** The same file cut into chunks at the given offsets. */
function chunked(bytes: Buffer, cuts: number[]): AsyncIterable<Uint8Array> {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  return (async function* () {
    let from = 0;
    for (const point of [...points, bytes.length]) {
      if (point > from) yield bytes.subarray(from, point);
      from = point;
    }
  })();
}

/** What reading the whole file at once must give: the reference the streaming reader is held to. */
function reference(bytes: Buffer): JsonLine[] {
  const out: JsonLine[] = [];
  let start = 0;
  for (let number = 1; start <= bytes.length; number++) {
    const end = bytes.indexOf(0x0a, start) < 0 ? bytes.length : bytes.indexOf(0x0a, start);
    let raw = bytes.subarray(start, end);
    const last = end === bytes.length;
    start = end + 1;
    if (last && raw.length === 0) break;
    const reject = (message: string): JsonLine => ({ line: number, rejection: { index: number - 1, code: ErrorCodes.InvalidInput, issues: [{ path: '', message }] } });
    if (raw.length > cap) {
      out.push(reject(`line is ${raw.length} bytes, longer than the ${cap} byte limit; skipped`));
      continue;
    }
    if (number === 1 && raw.subarray(0, 3).equals(bom)) raw = raw.subarray(3);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      out.push(reject('not valid UTF-8'));
      continue;
    }
    if (text.trim() === '') continue;
    try {
      out.push({ line: number, item: JSON.parse(text) as unknown });
    } catch {
      const { column, reason } = locateJsonError(text);
      out.push(reject(`not valid JSON at column ${column}: ${reason}`));
    }
  }
  return out;
}

describe('the JSONL reader under fuzzing', () => {
  it('reads any bytes cut at any chunk boundaries as the whole-file reference does, and every valid report line is accepted', async () => {
    let bodies = 0;
    await fc.assert(
      fc.asyncProperty(file, fc.array(fc.nat(), { maxLength: 8 }), async ({ lines, bytes }, cuts) => {
        bodies++;
        const read: JsonLine[] = [];
        for await (const entry of readJsonLines(chunked(bytes, cuts), cap)) read.push(entry);
        expect(read).toEqual(reference(bytes));
        const accepted = read.filter((entry) => 'item' in entry && parseReport(entry.item).ok).length;
        expect(accepted).toBe(lines.filter((l) => l.key !== undefined).length);
      }),
      { seed: 6, numRuns: 10_000 },
    );
    expect(bodies).toBe(10_000);
  });

  it('locates a syntax error in any text JSON.parse refuses, within the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), json.map((value) => JSON.stringify(value)).chain((text) => fc.tuple(fc.constant(text), fc.nat(text.length)).map(([t, cut]) => t.slice(0, cut)))), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        fc.pre(!valid);
        const found = locateJsonError(text);
        expect(found.offset).toBeGreaterThanOrEqual(0);
        expect(found.offset).toBeLessThanOrEqual(text.length);
        expect(found.reason).not.toBe('not valid JSON');
      }),
      { seed: 7, numRuns: 10_000 },
    );
  });
});

/** Output must carry no stack frame and no absolute path of this machine. */
function expectClean(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+/m);
  expect(text).not.toContain(process.cwd());
  expect(text).not.toContain('file://');
  expect(text).not.toContain('node_modules');
}

describe('edgesum reduce under fuzzing', () => {
  const reducers = builtinCases.map((c) => [c.reducer, JSON.stringify(c.options)] as const);
  const flags = fc.record({
    reducer: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...reducers) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...reducers.map(([r]) => r)), json.map((value) => JSON.stringify(value))) },
    ),
    json: fc.boolean(),
    strict: fc.boolean(),
    partitions: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 16 }).map(String) },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom('0', '-1', '4097', '1e3', '0x10', ' 7', '99999999999999999999'), fc.string({ maxLength: 6 })) },
    ),
  });

  it('exits 0, 1 or 2 with typed diagnostics only, never a stack or a path, and folds every valid report', async () => {
    let bodies = 0;
    await fc.assert(
      fc.asyncProperty(file, flags, async ({ lines, bytes }, { reducer: [reducer, options], json: asJson, strict, partitions }) => {
        bodies++;
        let stdout = '';
        let stderr = '';
        const argv = ['reduce', '--reducer', reducer, '--options', options, '--reports', '-', '--partitions', partitions, '--runner', 'inline', ...(asJson ? ['--json'] : []), ...(strict ? ['--strict'] : [])];
        const code = await runCli(argv, { out: (text) => void (stdout += text), err: (text) => void (stderr += text), interactive: false }, chunked(bytes, [bytes.length >> 1]));
        expect([0, 1, 2]).toContain(code);
        expectClean(stdout + stderr);
        expect(stderr).not.toContain(ErrorCodes.Internal);
        if (asJson && code === 2) expect(JSON.parse(stderr)).toHaveProperty('error.code');
        if (code === 0 && asJson && reducer === 'builtin:version-histogram') {
          const latest = new Map<string, number>();
          for (const l of lines) if (l.key !== undefined) latest.set(l.key, Math.max(latest.get(l.key) ?? -1, l.seq!));
          expect((JSON.parse(stdout) as { total: number }).total).toBe(latest.size);
        }
      }),
      { seed: 8, numRuns: 400 },
    );
    expect(bodies).toBe(400);
  });
});
