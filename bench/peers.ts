/**
 * Host side of the peer rows. Each peer runs in a child process of its own: SES's `lockdown()`
 * freezes every intrinsic of the realm it runs in (which would break tsx, esbuild and the other
 * variants), isolated-vm wants `--no-node-snapshot` on Node 20, and a native addon that crashes
 * takes down only its child. The child regenerates the same seeded reports, so only the job and the
 * results cross the process boundary.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Outcome, Skipped } from './rows.js';
import { childReply } from './child.js';
import { progress } from './timing.js';
import type { ReducerName, Summaries } from './workload.js';

/** The optional peers, by the npm package that provides each. */
export const peerPackages = {
  'isolated-vm': 'isolated-vm',
  ses: 'ses',
  'cel-js': '@marcbachmann/cel-js',
} as const;

export type PeerName = keyof typeof peerPackages;

/** The rows each peer produces, so a peer that cannot run still shows every row it would have. */
export const peerRows: Record<PeerName, readonly { suite: string; name: string }[]> = {
  'isolated-vm': [
    { suite: 'peers', name: 'isolated-vm-batched' },
    { suite: 'peers', name: 'isolated-vm-guest-bundle' },
    { suite: 'cold-start', name: 'isolated-vm-isolate+guest-bundle' },
    { suite: 'memory', name: 'isolated-vm-heap-used-per-isolate' },
  ],
  ses: [
    { suite: 'peers', name: 'ses-batched' },
    { suite: 'peers', name: 'ses-guest-bundle' },
    { suite: 'cold-start', name: 'ses-lockdown' },
    { suite: 'cold-start', name: 'ses-compartment+bundle' },
  ],
  'cel-js': [{ suite: 'peers', name: 'cel-js-per-report' }],
};

/** What a peer child is asked to do. */
export interface PeerJob {
  readonly peer: PeerName;
  /** Absolute path of the peer's package directory under `bench/node_modules`. */
  readonly packageDir: string;
  readonly reports: number;
  readonly seed: number;
  /** Reports per call for the batched rows. */
  readonly batch: number;
  /** How many runtimes the cold-start rows create. */
  readonly runtimes: number;
  /** The peer bundle (both reducers, plain shim). */
  readonly plainBundle: string;
  /** The sandbox's own guest bundle of each reducer, as QuickJS evaluates it. */
  readonly guestBundles: Record<ReducerName, string>;
  readonly memoryBytes: number;
  readonly timeMs: number;
  /** Passes per timed row; the fastest counts. */
  readonly runs: number;
}

/** What a peer child sends back. */
export type PeerReply =
  | {
      readonly type: 'result';
      readonly outcomes: readonly Outcome[];
      /** Finished summaries of each row that folds both reducers, to compare with the baseline. */
      readonly summaries: Readonly<Record<string, Summaries>>;
      /** For cel-js: reports the CEL predicate accepted, and what the same predicate in JS accepts. */
      readonly predicate?: { readonly cel: number; readonly js: number };
    }
  | { readonly type: 'failed'; readonly reason: string };

const benchDir = fileURLToPath(new URL('.', import.meta.url));

/** The package directory of a peer, or why it cannot run. */
export function locatePeer(peer: PeerName): { dir: string } | { reason: string } {
  const dir = `${benchDir}node_modules/${peerPackages[peer]}`;
  if (!existsSync(`${dir}/package.json`)) return { reason: `${peerPackages[peer]} is not installed in bench/node_modules (run: cd bench && npm install)` };
  return { dir };
}

/** Every row of `peer`, skipped for `reason`. */
export function skipPeer(peer: PeerName, reason: string): Skipped[] {
  return peerRows[peer].map((row) => ({ ...row, reason }));
}

/**
 * Runs one peer in its child process. Never rejects: a peer that fails to load, build or run
 * yields its rows as skipped with the reason.
 */
export async function runPeer(job: Omit<PeerJob, 'packageDir'>, timeoutMs: number): Promise<PeerReply> {
  const located = locatePeer(job.peer);
  if ('reason' in located) return { type: 'failed', reason: located.reason };
  const child = fork(fileURLToPath(new URL('./peer-child.ts', import.meta.url)), [], {
    // tsx's hooks come along in execArgv; isolated-vm needs the snapshot off on Node 20.
    execArgv: [...process.execArgv, '--no-node-snapshot'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // Whatever a peer prints belongs with the progress on stderr: stdout is the result.
  child.stdout?.on('data', (data: Buffer) => process.stderr.write(data));
  let errors = '';
  child.stderr?.on('data', (data: Buffer) => {
    errors = (errors + data.toString()).slice(-2000);
    process.stderr.write(data);
  });
  return childReply<PeerReply>(child, { ...job, packageDir: located.dir } satisfies PeerJob, job.peer, timeoutMs, () => errors.trim().split('\n').slice(-3).join(' | '));
}

/** The measurements of a successful reply, or the peer's rows skipped with the reason of a failed one. */
export function peerOutcomes(peer: PeerName, reply: PeerReply): Outcome[] {
  if (reply.type === 'failed') {
    progress(`${peer}: skipped — ${reply.reason}`);
    return skipPeer(peer, reply.reason);
  }
  return [...reply.outcomes];
}
