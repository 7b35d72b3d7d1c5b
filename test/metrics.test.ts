import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import { deploymentReport, smallTopology } from './support/reports.js';

describe('the metrics of a hierarchy', () => {
  it('reports the memory the QuickJS sandboxes hold, read at scrape time', async () => {
    const registry = new Registry();
    const topology = smallTopology(2);
    const hierarchy = await createHierarchy({ topology, bindings: [{ name: 'health', reducer: 'builtin:health' }] }, { clock: new ManualClock(), registry });
    hierarchy.ingest(topology.destinations.map((destination) => deploymentReport(destination.id)));
    await hierarchy.settle();
    const { values } = await registry.getSingleMetric('edgesum_sandbox_memory_bytes')!.get();
    expect(values[0]!.value).toBeGreaterThan(1024 * 1024);
    await hierarchy.dispose();
  });
});
