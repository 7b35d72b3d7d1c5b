import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../cli/demo.js';
import { cli } from './support/cli.js';

describe('edgesum demo', () => {
  it('prints center summaries with coverage for 1,200 destinations across 3 levels, and a rollout where the failing region halts while the others complete', async () => {
    const { code, stdout, stderr } = await cli('demo', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as DemoResult;
    expect(result.destinations).toBe(1200);
    expect(result.levels).toEqual({ center: 1, region: 4, site: 32 });
    expect(Object.keys(result.summaries)).toEqual(expect.arrayContaining(['web-health', 'web-versions', 'web-replicas', 'web-slowest', 'ready-by-tier', 'namespace-health']));
    for (const summary of Object.values(result.summaries)) {
      expect(summary.degraded).toBe(false);
      expect(summary.coverage.expected).toBe(1200);
      expect(summary.coverage.reporting).toBeGreaterThan(1100);
      expect(summary.coverage.reporting).toBeLessThan(1200);
      expect(summary.coverage.stale).toBeGreaterThan(0);
    }
    const health = result.summaries['web-health']!.value as { counts: Record<string, number> };
    expect(health.counts.healthy).toBeGreaterThan(0);
    expect(health.counts.degraded).toBeGreaterThan(0);

    const { rollout } = result;
    expect(rollout.failingRegion).toBe('region-3');
    expect(rollout.byLevel['region-3']).toBe('failed');
    for (const region of ['region-1', 'region-2', 'region-4']) expect(rollout.byLevel[region]).toBe('succeeded');
    expect(rollout.levels.center).toMatchObject({ succeeded: 3, failed: 1 });
    expect(rollout.destinations.succeeded).toBeGreaterThan(850);
    expect(rollout.decisions.some((decision) => decision.level === 'region-3' && decision.action === 'pause' && decision.budgetExceeded)).toBe(true);
    expect(rollout.decisions.some((decision) => decision.level === 'center' && decision.started.includes('region-1'))).toBe(true);

    const { customization } = result;
    expect([customization.rendered, customization.degraded]).toEqual([1200, 0]);
    const [left, right] = customization.sideBySide.map((side) => side.object as { spec: { replicas: number; template: { spec: { containers: { image: string; env: { value: string }[] }[] } } } });
    expect(left!.spec.template.spec.containers[0]!.env[2]!.value).toBe(customization.sideBySide[0]!.destination);
    expect(right!.spec.template.spec.containers[0]!.env[2]!.value).toBe(customization.sideBySide[1]!.destination);
    expect([left!.spec.replicas, right!.spec.replicas]).toEqual([1, 5]);
    for (const side of [left, right]) expect(side!.spec.template.spec.containers[0]!.image).toBe('registry.example/shop/web:1.6.0');
    const drift = customization.drift.value as { checked: number; drifted: number; examples: string[] };
    expect(drift.drifted).toBe(1);
    expect(drift.examples).toEqual([customization.tampered]);
    expect(drift.checked).toBe(rollout.destinations.succeeded);
  });

  it('shows coverage and the rollout per level in the human view', async () => {
    const { code, stdout } = await cli('demo', '--destinations', '1000', '--regions', '3', '--sites', '4', '--seed', '7');
    expect(code).toBe(0);
    expect(stdout).toContain('1 center, 3 regions, 12 sites, 1000 destinations');
    expect(stdout).toMatch(/■ web-health {2}\(coverage: \d+\/1000 reporting, \d+ stale, 0 unreachable\)/);
    expect(stdout).toContain('center (waves):        regions 2 succeeded, 1 failed');
    expect(stdout).toContain('halted levels: region-3');
    expect(stdout).toMatch(/rendered the rollout's object for 1000 destinations, level by level \(0 degraded\)/);
    expect(stdout).toMatch(/ {4}spec\.replicas +1 +[35]\n/);
    expect(stdout).toMatch(/drift at the center \(web-drift\): 1 of \d+ destinations applied something other than their rendering \(edge-0002\)/);
  });

  it('rejects a non-numeric size with exit code 2', async () => {
    const { code, stderr } = await cli('demo', '--regions', 'many');
    expect(code).toBe(2);
    expect(stderr).toContain('--regions must be a whole number');
  });
});
