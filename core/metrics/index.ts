import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The metrics of one hierarchy, registered on an injected prom-client `Registry` (never the global
 * one). Every series carries the `level` label, so one registry can serve a whole in-process
 * hierarchy and two hierarchies with two registries never mix.
 */
export class Metrics {
  readonly reportsAccepted: Counter<'level'>;
  readonly reportsRejected: Counter<'level' | 'code'>;
  readonly reportsDuplicate: Counter<'level'>;
  readonly reportsOutOfOrder: Counter<'level'>;
  readonly pluginCalls: Counter<'level' | 'binding' | 'hook'>;
  readonly pluginErrors: Counter<'level' | 'binding' | 'code'>;
  readonly partialsSent: Counter<'level'>;
  readonly partialsIgnored: Counter<'level'>;
  readonly flushSeconds: Histogram<'level'>;
  readonly bindingFailures: Gauge<'level' | 'binding' | 'stage'>;
  readonly bindingBackoffSkips: Counter<'level' | 'binding' | 'stage'>;
  readonly auditEntriesDropped: Counter<'level' | 'rollout'>;
  readonly ingestSeconds: Histogram<'level'>;
  readonly pluginCallSeconds: Histogram<'level' | 'binding' | 'plugin' | 'hook'>;
  readonly destinations: Gauge<'level' | 'binding' | 'state'>;
  readonly partialPending: Gauge<'level'>;
  readonly directivesSent: Counter<'level'>;
  readonly directivesPending: Gauge<'level'>;
  readonly rolloutDecisions: Counter<'level' | 'action'>;

  readonly sandboxMemory: Gauge;

  /** `sandboxBytes` reads the memory the plugin runner's sandboxes hold, at every scrape. */
  constructor(
    readonly registry: Registry,
    sandboxBytes: () => number = () => 0,
  ) {
    const registers = [registry];
    this.sandboxMemory = new Gauge({
      name: 'edgesum_sandbox_memory_bytes',
      help: "Memory the plugin sandboxes hold (QuickJS's WebAssembly heaps), read at every scrape.",
      registers,
      collect() {
        this.set(sandboxBytes());
      },
    });
    this.reportsAccepted = new Counter({ name: 'edgesum_reports_accepted_total', help: 'Status reports applied.', labelNames: ['level'], registers });
    this.reportsRejected = new Counter({ name: 'edgesum_reports_rejected_total', help: 'Status reports rejected, by error code.', labelNames: ['level', 'code'], registers });
    this.reportsDuplicate = new Counter({ name: 'edgesum_reports_duplicate_total', help: 'Reports whose seq was already applied.', labelNames: ['level'], registers });
    this.reportsOutOfOrder = new Counter({ name: 'edgesum_reports_out_of_order_total', help: 'Reports older than the latest applied seq.', labelNames: ['level'], registers });
    this.pluginCalls = new Counter({ name: 'edgesum_plugin_calls_total', help: 'Batch calls into reducer plugins.', labelNames: ['level', 'binding', 'hook'], registers });
    this.pluginErrors = new Counter({ name: 'edgesum_plugin_errors_total', help: 'Failed plugin calls, by error code.', labelNames: ['level', 'binding', 'code'], registers });
    this.partialsSent = new Counter({ name: 'edgesum_partials_sent_total', help: 'Partial accumulators forwarded to the parent level.', labelNames: ['level'], registers });
    this.partialsIgnored = new Counter({ name: 'edgesum_partials_ignored_total', help: 'Partials from children ignored as duplicate or out of order.', labelNames: ['level'], registers });
    this.flushSeconds = new Histogram({ name: 'edgesum_flush_seconds', help: 'Time to recompute and forward a level.', labelNames: ['level'], registers, buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10] });
    this.bindingFailures = new Gauge({
      name: 'edgesum_binding_consecutive_failures',
      help: 'Failed attempts in a row of a binding, by stage (fold: add and merge; finish); 0 once one succeeds.',
      labelNames: ['level', 'binding', 'stage'],
      registers,
    });
    this.bindingBackoffSkips = new Counter({
      name: 'edgesum_binding_backoff_skips_total',
      help: 'Attempts of a failing binding skipped while it backs off, by stage.',
      labelNames: ['level', 'binding', 'stage'],
      registers,
    });
    this.auditEntriesDropped = new Counter({
      name: 'edgesum_audit_entries_dropped_total',
      help: 'Rollout audit entries dropped, oldest first, to keep the trail within its retention.',
      labelNames: ['level', 'rollout'],
      registers,
    });
    this.ingestSeconds = new Histogram({ name: 'edgesum_ingest_seconds', help: 'Time to validate, store and apply one batch of reports.', labelNames: ['level'], registers, buckets: [0.0005, 0.002, 0.01, 0.05, 0.2, 1, 5] });
    this.pluginCallSeconds = new Histogram({
      name: 'edgesum_plugin_call_seconds',
      help: 'Time of one batch call into a reducer plugin, by plugin and hook.',
      labelNames: ['level', 'binding', 'plugin', 'hook'],
      registers,
      buckets: [0.0005, 0.002, 0.01, 0.05, 0.2, 1, 5],
    });
    this.destinations = new Gauge({
      name: 'edgesum_destinations',
      help: "Destinations in a binding's scope at or below the level, by state: expected, reporting, stale (newest report older than staleAfter).",
      labelNames: ['level', 'binding', 'state'],
      registers,
    });
    this.partialPending = new Gauge({ name: 'edgesum_partial_pending', help: 'Whether the level has a partial its parent has not accepted yet (1) or not (0).', labelNames: ['level'], registers });
    this.directivesSent = new Counter({ name: 'edgesum_directives_sent_total', help: 'Rollout directives child levels accepted.', labelNames: ['level'], registers });
    this.directivesPending = new Gauge({ name: 'edgesum_directives_pending', help: 'Rollout directives waiting for their child level to accept them.', labelNames: ['level'], registers });
    this.rolloutDecisions = new Counter({ name: 'edgesum_rollout_decisions_total', help: 'Rollout policy decisions taken, by action (error when the policy failed).', labelNames: ['level', 'action'], registers });
  }
}
