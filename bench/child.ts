import type { ChildProcess } from 'node:child_process';

/** Why a child process gave no result. */
export interface ChildFailure {
  readonly type: 'failed';
  readonly reason: string;
}

/**
 * Sends `job` to a forked child and resolves with its one reply, or with a failure naming `label`
 * when it does not reply within `timeoutMs`, cannot start or exits first (`lastWords` adds what it
 * last printed). The child is killed once settled.
 */
export function childReply<R>(child: ChildProcess, job: unknown, label: string, timeoutMs: number, lastWords: () => string = () => ''): Promise<R | ChildFailure> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (reply: R | ChildFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill();
      resolve(reply);
    };
    const timer = setTimeout(() => settle({ type: 'failed', reason: `${label} did not finish within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
    child.on('message', (reply: R) => settle(reply));
    child.on('error', (error) => settle({ type: 'failed', reason: `${label} could not start: ${error.message}` }));
    child.on('exit', (code, signal) => {
      const last = lastWords();
      settle({ type: 'failed', reason: `${label} exited (${signal ?? `code ${code}`}) before reporting${last ? `: ${last}` : ''}` });
    });
    child.send(job as object);
  });
}
