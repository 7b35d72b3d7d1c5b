/** Keys are data: a group, label or option named like a prototype property is kept, never dropped. */
import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../app/container.js';
import { ManualClock } from '../core/clock/index.js';
import { InlineRunner } from '../sandbox/inline.js';
import { deploymentReport, smallTopology } from './support/reports.js';

describe('data keys named like prototype properties', () => {
  it('keeps a groupBy group named __proto__ all the way to the center', async () => {
    const topology = smallTopology(3);
    const hierarchy = await createHierarchy(
      { topology, bindings: [{ name: 'teams', reducer: 'builtin:version-histogram', groupBy: { field: 'metadata.labels.team' } }] },
      { clock: new ManualClock(), runner: new InlineRunner() },
    );
    const reports = topology.destinations.map((destination, i) =>
      deploymentReport(destination.id, { metadata: { generation: 2, labels: JSON.parse(`{"team": "${i % 2 === 0 ? '__proto__' : 'constructor'}"}`) as Record<string, string> } }),
    );
    expect(hierarchy.ingest(reports).accepted).toBe(12);
    await hierarchy.settle();
    const teams = (await hierarchy.summaries()).teams!.value as Record<string, { total: number }>;
    expect(Object.keys(teams).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(teams, '__proto__')?.value).toMatchObject({ total: 6 });
    expect(Object.getOwnPropertyDescriptor(teams, 'constructor')?.value).toMatchObject({ total: 6 });
    await hierarchy.dispose();
  });
});
