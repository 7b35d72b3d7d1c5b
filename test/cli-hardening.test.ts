import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/main.js';
import { formatError, InputLimits, readJsonLines } from '../cli/io.js';
import { ErrorCodes } from '../core/errors.js';
import { deploymentReport, namespaceReport } from './support/reports.js';

/** Runs the CLI in-process with `stdin` as standard input, and captures what it prints. */
async function run(argv: string[], stdin: string | Uint8Array = '') {
  let stdout = '';
  let stderr = '';
  const input = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
  const code = await runCli(argv, { out: (text) => void (stdout += text), err: (text) => void (stderr += text), interactive: false }, (async function* () {
    yield input;
  })());
  return { code, stdout, stderr };
}

function file(name: string, content: string | Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'edgesum-')), name);
  writeFileSync(path, content);
  return path;
}

const jsonl = (...items: unknown[]) => `${items.map((item) => JSON.stringify(item)).join('\n')}\n`;
const histogram = ['reduce', '--reducer', 'builtin:version-histogram', '--runner', 'inline', '--json'];
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** Control characters, as the CLI must never print them raw in its human output. */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const rawControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('edgesum reduce reads any input without failing the whole file', () => {
  it('folds reports without status, as objects without status send them', async () => {
    const { status: _status, ...configMap } = namespaceReport('edge-1');
    const { code, stdout, stderr } = await run([...histogram, '--options', '{"field":"ref.kind"}', '--reports', file('r.jsonl', jsonl(configMap, deploymentReport('edge-2')))]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { Deployment: 1, Namespace: 1 }, total: 2 });
  });

  for (const field of ['status', 'spec'] as const) {
    it(`rejects a line whose ${field} is nested 20,000 levels deep by line number and folds the others`, async () => {
      // Written as text: serializing a value this deep would overflow the stack of the test itself.
      const deep = JSON.stringify(deploymentReport('edge-2')).replace(/"status":\{[^}]*\}/, field === 'status' ? `"status":${nested(20_000)}` : `"spec":{"x":${nested(20_000)}}`);
      const content = `${JSON.stringify(deploymentReport('edge-1'))}\n${deep}\n${JSON.stringify(deploymentReport('edge-3'))}\n`;
      const { code, stdout, stderr } = await run([...histogram, '--reports', file('r.jsonl', content)]);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ versions: { '1.0.0': 2 }, total: 2 });
      expect(stderr).toMatch(new RegExp(`^line 2 \\(report 1\\): ${ErrorCodes.InvalidReport}: ${field === 'status' ? 'status' : 'spec\\.x'}\\[0\\]`));
      expect(stderr).toContain('nested deeper than 64 levels');
      expect(stderr).not.toContain(ErrorCodes.Internal);
    });
  }

  it('skips a UTF-8 byte order mark before line 1', async () => {
    const content = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(jsonl(deploymentReport('edge-1'), deploymentReport('edge-2')))]);
    const { code, stdout, stderr } = await run([...histogram, '--reports', file('bom.jsonl', content)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { '1.0.0': 2 }, total: 2 });
  });

  it('rejects a line longer than the line limit by number, skips it, and folds the lines after it (stdin)', async () => {
    const long = `{"destination":"${'x'.repeat(2 * InputLimits.lineBytes)}"}`;
    const { code, stdout, stderr } = await run([...histogram, '--reports', '-'], `${JSON.stringify(deploymentReport('edge-1'))}\n${long}\n${JSON.stringify(deploymentReport('edge-2'))}`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { '1.0.0': 2 }, total: 2 });
    expect(stderr).toBe(`line 2: ${ErrorCodes.InvalidInput}: line is ${long.length} bytes, longer than the ${InputLimits.lineBytes} byte limit; skipped\n`);
  });

  it('streams a 256 MiB line through the reader without holding it', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    async function* source() {
      for (let i = 0; i < 4096; i++) yield chunk;
      yield Buffer.from(`\n${JSON.stringify(deploymentReport('edge-1'))}\n`);
    }
    const lines = [];
    for await (const line of readJsonLines(source())) lines.push(line);
    expect(lines).toEqual([
      { line: 1, rejection: { index: 0, code: ErrorCodes.InvalidInput, issues: [{ path: '', message: `line is ${4096 * chunk.length} bytes, longer than the ${InputLimits.lineBytes} byte limit; skipped` }] } },
      { line: 2, item: deploymentReport('edge-1') },
    ]);
  });

  it('counts __proto__ label values as data', async () => {
    const line = JSON.stringify(deploymentReport('edge-1')).replace('"app.kubernetes.io/version"', '"__proto__"');
    const { code, stdout } = await run([...histogram, '--options', '{"field":"metadata.labels[\\"__proto__\\"]"}', '--reports', file('p.jsonl', `${line}\n`)]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ versions: { '1.0.0': 1 }, total: 1 });
  });

  it('names the largest part of an oversize report, not always status', async () => {
    const big = { ...deploymentReport('edge-1'), spec: { blob: 'x'.repeat(50_000) }, status: { blob: 'y'.repeat(20_000) } };
    const { stderr } = await run([...histogram, '--reports', file('big.jsonl', jsonl(big))]);
    expect(stderr).toMatch(new RegExp(`^line 1 \\(report 0\\): ${ErrorCodes.InvalidReport}: spec: report body is \\d+ bytes, above the 65536 byte limit; spec is the largest part`));
  });

  it('refuses --partitions above its maximum as a usage error naming the flag, before any work', async () => {
    const { code, stderr } = await run([...histogram, '--partitions', '100000000', '--reports', '-']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: ErrorCodes.Usage, message: '--partitions must be a whole number from 1 to 4096, got "100000000"' } });
    expect((await run([...histogram, '--partitions', '4096', '--reports', '-'], jsonl(deploymentReport('edge-1')))).code).toBe(0);
  });

  it('refuses a --time-limit no timer can hold as a usage error naming the flag', async () => {
    const { code, stderr } = await run([...histogram, '--time-limit', '99999999999', '--reports', '-']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: ErrorCodes.Usage, message: expect.stringContaining('--time-limit must be a whole number of milliseconds from 1 to 2147483647') } });
  });
});

describe('edgesum diagnostics', () => {
  it('prints an internal error without its stack trace or a require stack of paths, and with them only under --debug', () => {
    const error = new TypeError('exploded');
    for (const json of [false, true]) {
      const plain = formatError(error, { json, debug: false });
      expect(plain).toContain(ErrorCodes.Internal);
      expect(plain).toContain('exploded');
      expect(plain).not.toMatch(/\bat .*[/\\]/);
      expect(plain).not.toContain(process.cwd());
      expect(formatError(error, { json, debug: true })).toContain(json ? JSON.stringify(error.stack).slice(1, 40) : 'at ');
    }
    const moduleError = new Error(`Cannot find module 'tweetnacl'\nRequire stack:\n- ${process.cwd()}/node_modules/x/lib/a.js`);
    for (const json of [false, true]) {
      const plain = formatError(moduleError, { json, debug: false });
      expect(plain).toContain("Cannot find module 'tweetnacl'");
      expect(plain).not.toContain(process.cwd());
    }
    const wrapped = new Error('outer', { cause: new RangeError('inner') });
    expect(formatError(wrapped, { json: false, debug: true })).toContain('caused by RangeError: inner');
  });

  it('accepts --debug before or after the command', async () => {
    expect((await run(['--debug', ...histogram, '--reports', '-'])).code).toBe(0);
    expect((await run([...histogram, '--reports', '-', '--debug'])).code).toBe(0);
  });

  it('names an unknown plugin module as written and relative to the working directory', async () => {
    const { code, stderr } = await run(['reduce', '--reducer', './no/such/plugin.ts', '--reports', '-']);
    expect(code).toBe(2);
    expect(stderr).toContain(ErrorCodes.UnknownPlugin);
    expect(stderr).toContain('"./no/such/plugin.ts" (looked for no/such/plugin.ts;');
    expect(stderr).not.toContain(process.cwd());
  });

  it('names an --options file that is not JSON by line and column without echoing its contents', async () => {
    const secret = file('secret', 'root:x:0:0:root:/root:/bin/bash\n');
    const { code, stderr } = await run(['reduce', '--reducer', 'builtin:health', '--options', `@${secret}`, '--reports', '-']);
    expect(code).toBe(2);
    expect(stderr).toContain(`--options: "${secret}" is not valid JSON at line 1, column 1`);
    expect(stderr).not.toContain('root:x');
  });

  it('names a policy input file that is not JSON by line and column without echoing its contents', async () => {
    const input = file('input.json', '{\n  "rollout": {"id": "r1"},\n  "token": "s3cr3t" oops\n}');
    const { code, stderr } = await run(['decide', '--policy', 'builtin:waves', '--input', input, '--runner', 'inline']);
    expect(code).toBe(2);
    expect(stderr).toContain(`--input: "${input}" is not valid JSON at line 3, column 21: expected ',' or '}'`);
    expect(stderr).not.toContain('s3cr3t');
  });

  it('escapes control characters in plugin names and thrown messages, so they neither drive the terminal nor forge lines', async () => {
    const reports = file('attack.jsonl', jsonl(deploymentReport('edge-1'), { ...deploymentReport('edge-2'), status: { attack: true } }));
    const thrown = await run(['reduce', '--reducer', './test/fixtures/plugins/escape-reducer.ts', '--reports', reports, '--runner', 'inline']);
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).not.toMatch(rawControls);
    expect(thrown.stderr.split('\n').filter((line) => line.startsWith('line '))).toEqual([]);
    expect(thrown.stderr).toContain('boom\\x1b[2J\\nline 99 (report 9)');
    const named = await run(['reduce', '--reducer', './test/fixtures/plugins/escape-reducer.ts', '--reports', '-', '--runner', 'inline'], jsonl(deploymentReport('edge-1')));
    expect(named.stdout).toContain('evil\\x1b[31m-red\\u202e@1.0.0\\x1b]0;title\\x07');
    expect(named.stdout).not.toMatch(rawControls);
  });

  it('escapes control characters in field names of rejected reports', async () => {
    const { stderr } = await run([...histogram, '--reports', '-'], `${JSON.stringify({ ...deploymentReport('edge-1'), '\u001b[31mred\nline 7: forged': 1 })}\n`);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(rawControls);
  });

  it('escapes control characters and bidi overrides in decision reasons', async () => {
    const input = 'examples/policy-as-code/cases/progressive-window/input.json';
    const { code, stdout } = await run(['decide', '--policy', './test/fixtures/plugins/escape-policy.ts', '--input', input, '--runner', 'inline']);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(rawControls);
    expect(stdout.split('\n').filter((line) => line.startsWith('error'))).toEqual([]);
    expect(stdout).toContain('reason:   fine\\x1b[8m hidden\\r\\nerror EDGESUM_PLUGIN_THREW: forged \\u2067reordered\\u2069');
    const json = await run(['decide', '--policy', './test/fixtures/plugins/escape-policy.ts', '--input', input, '--runner', 'inline', '--json']);
    expect((JSON.parse(json.stdout) as { reason: string }).reason).toBe('fine\u001b[8m hidden\r\nerror EDGESUM_PLUGIN_THREW: forged \u2067reordered\u2069');
    expect(json.stdout).not.toMatch(rawControls);
  });
});
