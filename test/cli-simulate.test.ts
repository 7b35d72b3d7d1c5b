import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { SimulationResult } from '../app/simulate.js';
import { cli } from './support/cli.js';

/** The ids of the `edgesum serve` processes whose parent is `pid`, from /proc. */
function servedChildrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent's id; the command name before it is in parentheses.
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      const served = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0').includes('serve');
      if (served && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('edgesum simulate', () => {
  it('prints the convergence time after a partition in process, with traffic per level and a progress line on stderr', async () => {
    const { code, stdout, stderr } = await cli('simulate', '--runner', 'inline', '--destinations', '60', '--rounds', '3', '--faults', 'partition:region-2@1s+2s');
    expect(code).toBe(0);
    expect(stdout).toMatch(/faults: partition of region-2 at 1s for 2s/);
    expect(stdout).toMatch(/convergence: \d+\.\d s after the last fault and the last round of reports \(simulated clock\)/);
    expect(stdout).toMatch(/center inbound: .* = \d+\.\d{3}% of the raw report bytes/);
    expect(stderr).toMatch(/simulate: round 2\/3, faults: partition region-2/);
  });

  it('converges after a node is killed and restarted, reports flap and a consumer is slow, each counted in its own figures', async () => {
    const run = async (faults: string) => JSON.parse((await cli('simulate', '--runner', 'inline', '--destinations', '60', '--rounds', '4', '--faults', faults, '--json')).stdout) as SimulationResult;
    const calm = await run('');
    expect(calm.convergence).toEqual({ converged: true, ms: 0, clock: 'simulated' });
    const restarted = await run('restart:region-1-site-1@1s+2s');
    expect(restarted.convergence.converged).toBe(true);
    // While killed, the site sends nothing; its edges hold their reports until it is back.
    expect(restarted.byLevel.site.up.messages).toBeLessThan(calm.byLevel.site.up.messages);
    const slow = await run('slow:center@0s+3s,flap:region-2@0s+2s');
    expect(slow.convergence.converged).toBe(true);
    // The center's backlog drains one partial a second once the fault ends.
    expect(slow.convergence.ms).toBeGreaterThan(0);
  });

  it('prints the convergence time after a partition cuts a link both ways between edgesum serve processes over HTTP, with a site killed and restarted', async () => {
    const { code, stdout, stderr } = await cli('simulate', '--transport', 'http', '--runner', 'inline', '--sites', '1', '--destinations', '20', '--rounds', '3', '--faults', 'partition:region-1@1s+2s,restart:region-2-site-1@1s+1s');
    expect(stderr).toMatch(/simulate: waiting for the center to converge/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/edgesum simulate: http, 2 regions, 2 sites, 20 destinations/);
    expect(stdout).toMatch(/convergence: \d+\.\d s after the last fault and the last round of reports \(wall clock\)/);
    expect(stdout).toMatch(/ {2}region +[1-9]\d* msgs/);
    expect(stdout).toMatch(/center inbound: .* = \d+\.\d{3}% of the raw report bytes/);
  }, 300_000);

  it('converges over a real NATS hub and leaf servers after a region leaf is cut off, and prints the figures from the nodes\' metrics as JSON', async () => {
    const { code, stdout, stderr } = await cli('simulate', '--transport', 'nats', '--runner', 'inline', '--sites', '1', '--destinations', '20', '--rounds', '3', '--faults', 'partition:region-1@1s+1s', '--json');
    expect(stderr).toMatch(/simulate: waiting for the center to converge/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as SimulationResult;
    expect(result).toMatchObject({ transport: 'nats', levels: { center: 1, region: 2, site: 2 }, destinations: 20, convergence: { converged: true, clock: 'wall' } });
    expect(result.convergence.ms).toBeGreaterThanOrEqual(0);
    expect(result.byLevel.site.up.messages).toBeGreaterThan(0);
    expect(result.byLevel.region.up.bytes).toBeGreaterThan(0);
    expect(result.center.inboundBytes).toBeGreaterThan(0);
    expect(result.center.shareOfRawReportBytes).toBe(result.center.inboundBytes / result.reports.bytes);
  }, 300_000);

  it('kills every edgesum serve process it started when it is interrupted by SIGINT', async () => {
    const repo = resolve(import.meta.dirname, '..');
    const simulate = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli', 'bin.ts'), 'simulate', '--transport', 'http', '--runner', 'inline', '--regions', '1', '--sites', '1', '--destinations', '5', '--rounds', '10000'], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    const exited = new Promise<number | null>((done) => simulate.once('exit', (code) => done(code)));
    await new Promise<void>((done) => {
      createInterface({ input: simulate.stderr! }).on('line', (line) => {
        stderr += `${line}\n`;
        if (/round 2\//.test(line)) done();
      });
      void exited.then(() => done());
    });
    const children = servedChildrenOf(simulate.pid!);
    expect(children).toHaveLength(3);
    simulate.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/EDGESUM_INTERRUPTED|stopped by SIGINT/);
    expect(children.filter(alive)).toEqual([]);
  }, 300_000);

  it('refuses a fault it cannot simulate, naming it', async () => {
    for (const [faults, message] of [
      ['partition:region-9@1s+2s', /no level "region-9"/],
      ['partition:center@1s+2s', /"center" is the center/],
      ['jam:region-1@1s+2s', /no fault kind "jam"; the kinds are: partition, restart, flap, slow/],
      ['slow:region-1-site-1@1s+2s', /has no child levels/],
      ['partition:region-1', /expected KIND:LEVEL@START\+DURATION/],
      ['partition:region-1@1s+0s', /the duration above zero/],
    ] as const) {
      const { code, stderr } = await cli('simulate', '--faults', faults);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect((await cli('simulate', '--transport', 'nats', '--faults', 'partition:region-1-site-1@1s+2s')).stderr).toMatch(/is not a region/);
  });
});
