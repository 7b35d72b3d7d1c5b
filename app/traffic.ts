import { Counter, type Registry } from 'prom-client';
import { EdgesumError, ErrorCodes } from '../core/errors.js';
import type { DestinationStatus, DirectiveMessage, LevelEndpoint, PartialMessage, Transport } from '../core/transport/index.js';

/** Which way a message went: partials go up, directives down. */
type Direction = 'up' | 'down';
/** Whether this node sent the message or took it in. */
type Way = 'sent' | 'received';

/**
 * A served node's transport that counts, on the node's registry, the messages and bytes (of their
 * JSON, as they go on the wire) it sends and takes in, by direction: `edgesum_transport_messages_total`
 * and `edgesum_transport_bytes_total`. A message sent counts once its transport accepted it; a
 * send the transport refused counts in `edgesum_transport_send_failures_total` by error code (a
 * message too large for NATS shows there as `EDGESUM_MESSAGE_TOO_LARGE`).
 */
export class MeteredTransport implements Transport {
  private readonly messages: Counter<'level' | 'direction' | 'way'>;
  private readonly bytes: Counter<'level' | 'direction' | 'way'>;
  private readonly failures: Counter<'level' | 'direction' | 'code'>;

  constructor(
    private readonly inner: Transport,
    private readonly level: string,
    registry: Registry,
  ) {
    const registers = [registry];
    const labelNames = ['level', 'direction', 'way'] as const;
    this.messages = new Counter({ name: 'edgesum_transport_messages_total', help: 'Partials (up) and directives (down) this node sent or received.', labelNames, registers });
    this.bytes = new Counter({ name: 'edgesum_transport_bytes_total', help: 'Bytes of the JSON of the partials (up) and directives (down) this node sent or received.', labelNames, registers });
    this.failures = new Counter({ name: 'edgesum_transport_send_failures_total', help: 'Partials (up) and directives (down) the transport refused to send, by error code.', labelNames: ['level', 'direction', 'code'], registers });
  }

  bind(level: string, endpoint: LevelEndpoint): void {
    this.inner.bind(level, {
      onStatusQuery: (destination) => endpoint.onStatusQuery(destination),
      onPartial: async (message) => {
        await endpoint.onPartial(message);
        this.count('up', 'received', message);
      },
      onDirective: async (message) => {
        await endpoint.onDirective(message);
        this.count('down', 'received', message);
      },
    });
  }

  unbind(level: string): void {
    this.inner.unbind(level);
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    await this.counted('up', () => this.inner.sendPartial(to, message));
    this.count('up', 'sent', message);
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    await this.counted('down', () => this.inner.sendDirective(to, message));
    this.count('down', 'sent', message);
  }

  private async counted(direction: Direction, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.failures.inc({ level: this.level, direction, code: error instanceof EdgesumError ? error.code : ErrorCodes.Internal });
      throw error;
    }
  }

  queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    return this.inner.queryStatus(to, destination);
  }

  linkDown(level: string): boolean {
    return this.inner.linkDown?.(level) ?? false;
  }

  private count(direction: Direction, way: Way, message: PartialMessage | DirectiveMessage): void {
    const labels = { level: this.level, direction, way };
    this.messages.inc(labels);
    this.bytes.inc(labels, Buffer.byteLength(JSON.stringify(message)));
  }
}
