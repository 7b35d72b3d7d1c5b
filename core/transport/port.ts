import type { DestinationStatus, DirectiveMessage, PartialMessage } from './messages.js';

/** What a level node exposes to the transport. */
export interface LevelEndpoint {
  /** A partial from one of this level's children. */
  onPartial(message: PartialMessage): void;
  /** A rollout directive from this level's parent. */
  onDirective(message: DirectiveMessage): void;
  /** The status of one destination at or below this level. */
  onStatusQuery(destination: string): Promise<DestinationStatus>;
}

/**
 * Transport port between levels. Partials flow up as latest-state messages: a message lost while a
 * link is down is never replayed; the child sends its newest state again once the link is back.
 */
export interface Transport {
  /** Registers a level's endpoint under its id. */
  bind(level: string, endpoint: LevelEndpoint): void;
  /** Removes a level's endpoint. */
  unbind(level: string): void;
  /** Sends a child's partial to its parent `to`; `false` when the child's link is down. */
  sendPartial(to: string, message: PartialMessage): boolean;
  /** Sends a rollout directive down to child level `to`; `false` when that child's link is down. */
  sendDirective(to: string, message: DirectiveMessage): boolean;
  /** Asks level `to` for one destination's status; rejects with `EDGESUM_UNREACHABLE` when its link is down. */
  queryStatus(to: string, destination: string): Promise<DestinationStatus>;
  /** Whether the link between `level` and its parent is up. */
  linkUp(level: string): boolean;
}
