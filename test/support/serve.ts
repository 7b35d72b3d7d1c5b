/** Runs `edgesum serve` as a real process on loopback, for the integration tests of served nodes. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { StatusReport } from '../../core/contract.js';
import { hashToken } from '../../server/auth.js';

const repo = resolve(import.meta.dirname, '..', '..');

/** A served node process. */
export interface NodeProcess {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** What the process wrote to stderr so far (its JSON log lines). */
  readonly log: () => string;
  /** Ends the process with a signal and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A token entry for a config, hashed as the config stores it. */
export function token(name: string, roles: string[], bound: { destination?: string; level?: string } = {}) {
  return { name, sha256: hashToken(name), roles, ...bound };
}

/** Writes a config (JSON is YAML) into a fresh folder and returns its path. */
export function writeConfig(config: unknown, dir: string = mkdtempSync(join(tmpdir(), 'edgesum-serve-'))): string {
  const file = join(dir, `${(config as { level: string }).level}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Starts `edgesum serve --config FILE --json` and resolves once it listens. */
export async function startNode(config: string, ...args: string[]): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli', 'bin.ts'), 'serve', '--config', config, '--json', ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const line = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (text) => done(text));
    void exited.then((code) => fail(new Error(`edgesum serve exited with ${code} before listening:\n${stderr}`)));
  });
  const { listening } = JSON.parse(line) as { listening: string };
  return {
    url: listening,
    port: Number(new URL(listening).port),
    process: child,
    log: () => stderr,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A request with a bearer token and a JSON body; resolves to the status and the parsed body. */
export async function call(url: string, path: string, options: { token?: string; method?: string; body?: unknown; raw?: string } = {}): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(path, url), { method: options.method ?? (options.body === undefined && options.raw === undefined ? 'GET' : 'POST'), headers, body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Metrics and other text bodies stay text.
  }
  return { status: response.status, body };
}

/** Polls `check` until it returns a value other than `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  assert.fail(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

/** A Deployment report of `web` as an edge would post it. */
export function webReport(destination: string, seq: number, options: { version?: string; phase?: string; ready?: boolean } = {}): StatusReport {
  const ready = options.ready ?? true;
  return {
    destination,
    seq,
    observedAt: '2026-11-30T10:00:00Z',
    ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
    metadata: {
      generation: 1,
      labels: { 'app.kubernetes.io/version': options.version ?? '1.0.0' },
      annotations: { ...(options.version === undefined ? {} : { 'edgesum.io/version': options.version }), ...(options.phase === undefined ? {} : { 'edgesum.io/phase': options.phase }) },
    },
    spec: { replicas: 2 },
    status: { observedGeneration: 1, replicas: 2, readyReplicas: ready ? 2 : 0, updatedReplicas: 2, availableReplicas: ready ? 2 : 0 },
  };
}
