import { EdgesumError, ErrorCodes, NotFoundError } from '../errors.js';
import { parseOrThrow } from '../model/index.js';
import { DestinationStatusSchema, DirectiveMessageSchema, PartialMessageSchema, type DestinationStatus, type DirectiveMessage, type PartialMessage } from './messages.js';
import type { LevelEndpoint, Transport } from './port.js';

/**
 * The embedded transport: a whole hierarchy in one process. Every message is serialized and
 * validated as on a real wire, so no two levels ever share an object, and a send resolves only
 * once the receiving node has acted on it. Links can be cut and restored to exercise edge autonomy.
 */
export class InProcessBus implements Transport {
  private readonly endpoints = new Map<string, LevelEndpoint>();
  private readonly down = new Set<string>();

  bind(level: string, endpoint: LevelEndpoint): void {
    this.endpoints.set(level, endpoint);
  }

  unbind(level: string): void {
    this.endpoints.delete(level);
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    if (this.down.has(message.from)) throw unreachable(message.from, `cannot send its partial to ${to}`);
    await this.endpoint(to).onPartial(parseOrThrow(PartialMessageSchema, JSON.parse(JSON.stringify(message)), `partial from ${message.from}`));
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    if (this.down.has(to)) throw unreachable(to, `cannot receive the directive from ${message.from}`);
    await this.endpoint(to).onDirective(parseOrThrow(DirectiveMessageSchema, JSON.parse(JSON.stringify(message)), `directive from ${message.from}`));
  }

  async queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    if (this.down.has(to)) throw unreachable(to, `cannot read the status of ${destination}`);
    const answer = await this.endpoint(to).onStatusQuery(destination);
    return parseOrThrow(DestinationStatusSchema, JSON.parse(JSON.stringify(answer)), `status of ${destination}`);
  }

  linkDown(level: string): boolean {
    return this.down.has(level);
  }

  /** Cuts the link between `level` and its parent. */
  disconnect(level: string): void {
    this.down.add(level);
  }

  /** Restores the link between `level` and its parent. */
  reconnect(level: string): void {
    this.down.delete(level);
  }

  private endpoint(level: string): LevelEndpoint {
    const endpoint = this.endpoints.get(level);
    if (endpoint === undefined) throw new NotFoundError(ErrorCodes.UnknownLevel, `no level ${level} is attached to the bus`, { level });
    return endpoint;
  }
}

function unreachable(level: string, what: string): EdgesumError {
  return new EdgesumError(ErrorCodes.Unreachable, `level ${level} is unreachable; it ${what}`, { level });
}
