import type { DestinationStatus, DirectiveMessage, PartialMessage } from './messages.js';

/** What a level node exposes to the transport. Each promise settles once the node has acted. */
export interface LevelEndpoint {
  /** A partial from one of this level's children; resolves once it is durable at this level. */
  onPartial(message: PartialMessage): Promise<void>;
  /** A rollout directive from this level's parent; resolves once it is durable at this level. */
  onDirective(message: DirectiveMessage): Promise<void>;
  /** The status of one destination at or below this level. */
  onStatusQuery(destination: string): Promise<DestinationStatus>;
}

/**
 * Transport port between levels, asynchronous with explicit delivery: a send resolves when the
 * peer has durably accepted the message and rejects with a typed error (`EDGESUM_UNREACHABLE`
 * when the peer cannot be reached) otherwise. Partials and directives are latest-state messages:
 * the sender keeps the newest one and sends it again until it is accepted, so nothing is queued
 * here and a message lost with a link is never needed.
 */
export interface Transport {
  /** Registers a level's endpoint under its id: this process serves that level. */
  bind(level: string, endpoint: LevelEndpoint): void;
  /** Removes a level's endpoint. */
  unbind(level: string): void;
  /** Sends a child's partial to its parent `to`. */
  sendPartial(to: string, message: PartialMessage): Promise<void>;
  /** Sends a rollout directive down to child level `to`. */
  sendDirective(to: string, message: DirectiveMessage): Promise<void>;
  /** Asks level `to` for one destination's status. */
  queryStatus(to: string, destination: string): Promise<DestinationStatus>;
  /**
   * Whether the transport knows the link between `level` and its parent to be down right now. A
   * hint: a node also counts a child unreachable when it has not heard from it for a while.
   */
  linkDown?(level: string): boolean;
}
