/**
 * edgesum's library API: build a hierarchy, feed it reports, read summaries. The plugin contract
 * is published separately as `edgesum/plugin`.
 */
export { Hierarchy, LevelNode, Topology, type HierarchyConfig, type IngestResult, type RolloutStatus, type TopologyInput } from './node/index.js';
export { createRootContainer, createLevelContainer, defaultRunner, Tokens, type RootOptions } from './container.js';
export type { BindingInput, BindingConfig, Coverage, SummaryView, Degradation } from './pipeline/index.js';
export { reduceOnce, latestReports } from './pipeline/index.js';
export { ManualClock, systemClock, type Clock } from './clock/index.js';
export { jsonLogger, silentLogger, type Logger } from './log/index.js';
export { FilePluginCatalog, type PluginCatalog } from './catalog/index.js';
export { InProcessBus, type Transport, type LevelEndpoint, type PartialMessage, type DestinationStatus } from './transport/index.js';
export * from './errors.js';
export { StatusReportSchema, ObjectRefSchema, DestinationSchema, WorkloadSchema, parseReports, refKey, type StatusReport, type ObjectRef, type Destination, type Workload } from './model/index.js';
export { RolloutSpecSchema, PolicyInputSchema, DecisionSchema, type RolloutSpec, type RolloutSpecInput, type AuditEntry, type EdgeAgent, type EdgeDirective, type StateCounts } from './rollout/index.js';
export { InlineRunner, QuickJsRunner, defaultLimits, type PluginRunner, type ReducerHandle, type PolicyHandle, type PluginLimits, type PluginInfo } from '../sandbox/index.js';
