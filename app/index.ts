/**
 * edgesum's library API, published as `edgesum`: build a hierarchy, feed it reports, read
 * summaries and per-destination status, run rollouts. The plugin contract is published separately
 * as `edgesum/plugin`, the conformance checks for plugin authors as `edgesum/testing`.
 *
 * Everything an embedder implements is a port declared here as a type (`PluginRunner`,
 * `Transport`, `ReportStore`, `PluginCatalog`, `Clock`, `Logger`); the wiring itself stays inside.
 *
 * @module edgesum
 */

// Building and driving a hierarchy.
export { createHierarchy, type RootOptions } from './container.js';
export {
  Hierarchy,
  LevelNode,
  type HierarchyConfig,
  type IngestResult,
  type LevelNodeOptions,
  type RolloutProgress,
  type RolloutStatus,
} from '../core/node/index.js';
export { Topology, type TopologyInput } from '../core/model/index.js';
export type { BindingInput, BindingConfig, Coverage, SummaryView, Degradation } from '../core/pipeline/index.js';
export { reduceOnce, latestReports, type ReduceOnceOptions } from '../core/pipeline/index.js';

// The wire model, its schemas and validation.
export {
  StatusReportSchema,
  ObjectRefSchema,
  DestinationSchema,
  WorkloadSchema,
  parseReports,
  refKey,
  reportKey,
  type StatusReport,
  type ObjectRef,
  type Destination,
  type Workload,
  type Rejection,
  type BatchResult,
} from '../core/model/index.js';
export {
  RolloutSpecSchema,
  RenderingEdgeAgent,
  PolicyInputSchema,
  DecisionSchema,
  type RolloutSpec,
  type RolloutSpecInput,
  type RolloutCommand,
  type AuditEntry,
  type EdgeAgent,
  type EdgeDirective,
  type StateCounts,
  type RenderingReport,
} from '../core/rollout/index.js';

// Ports with their built-in implementations.
export { ManualClock, systemClock, systemScheduler, type Clock, type Scheduler, type Repeating } from '../core/clock/index.js';
export { jsonLogger, silentLogger, type Logger } from '../core/log/index.js';
export { FilePluginCatalog, type PluginCatalog } from '../core/catalog/index.js';
export { MemoryNodeStore, type NodeStore, type ReportStore } from '../core/storage/index.js';
export { openSqliteStore, SqliteNodeStore } from '../sqlite/store.js';
export {
  InProcessBus,
  type Transport,
  type LevelEndpoint,
  type PartialMessage,
  type DirectiveMessage,
  type DestinationStatus,
} from '../core/transport/index.js';
export {
  defaultLimits,
  type PluginRunner,
  type PluginSource,
  type PluginLimits,
  type PluginInfo,
  type ReducerHandle,
  type PolicyHandle,
  type CallContext,
  type AccUpdate,
  type CustomizerHandle,
  type CustomizeItem,
  type CustomizeCall,
} from '../core/ports/index.js';
export { QuickJsRunner, InlineRunner, PooledRunner, type QuickJsRunnerOptions, type PooledRunnerOptions } from '../sandbox/index.js';

// A level node served over HTTP.
export { serveLevel, type ServeOptions, type ServedLevel } from './serve.js';
export { loadServeConfig, ServeConfigSchema, type LoadedServeConfig, type ServeConfig, type ServeConfigInput } from '../server/config.js';
export { HttpTransport, type HttpTransportOptions } from '../server/http-transport.js';
export { hashToken, type Role } from '../server/auth.js';

// The error catalog.
export * from '../core/errors.js';

// Customization: patterns rendered level by level.
export {
  AppliedAnnotations,
  applyLevel,
  explainChain,
  loadPattern,
  parsePattern,
  PatternSchema,
  renderChain,
  renderDown,
  renderFleet,
  renderingHash,
  Renderings,
  topologyTree,
  versioned,
  type FleetRendering,
  type LoadedPattern,
  type Pattern,
  type RenderNode,
  type RenderOutcome,
} from '../core/customize/index.js';
