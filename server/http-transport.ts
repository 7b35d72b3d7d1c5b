import { EdgesumError, ErrorCodes } from '../core/errors.js';
import { parseOrThrow } from '../core/model/index.js';
import { DestinationStatusSchema, type DestinationStatus, type DirectiveMessage, type LevelEndpoint, type PartialMessage, type Transport } from '../core/transport/index.js';

/** How a served node reaches its parent. */
export interface ParentLink {
  readonly id: string;
  readonly url: string;
  /** The link token: presented up with every partial, accepted back down from the parent. */
  readonly token: string;
}

/** How a parent reaches one child back: what the child advertised with its last partial. */
export interface ChildLink {
  readonly url: string | undefined;
  readonly token: string;
}

/** What the HTTP transport of one served node is built from. */
export interface HttpTransportOptions {
  /** The level this process serves. */
  readonly self: string;
  readonly parent?: ParentLink | undefined;
  /** The URL this node tells its parent to call it back on. */
  readonly advertise?: string | undefined;
  /** Longest wait for one request to a peer. */
  readonly timeoutMs?: number;
}

/**
 * The transport of a level node served over HTTP. Up: the node posts its partial to the parent's
 * `/v1/partials` with its link token and the URL it can be called back on. Down: the parent posts
 * directives to, and routes status queries through, the URL each child advertised with the last
 * partial it sent, presenting that child's link token. So a child needs only its parent's URL and
 * one token, and a parent learns its children as they call in. A message the peer refuses as too
 * large (HTTP 413, its `limits.bodyBytes`) rejects with `EDGESUM_MESSAGE_TOO_LARGE`, every other
 * failure with `EDGESUM_UNREACHABLE`; either way the node keeps the latest message and sends it again.
 */
export class HttpTransport implements Transport {
  private readonly children = new Map<string, ChildLink>();
  private readonly timeoutMs: number;
  private endpoint: LevelEndpoint | undefined;
  private advertise: string | undefined;

  constructor(private readonly options: HttpTransportOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.advertise = options.advertise;
  }

  /** Sets the URL to advertise once the server knows its port, unless the config named one. */
  advertiseAt(url: string): void {
    this.advertise ??= url;
  }

  bind(level: string, endpoint: LevelEndpoint): void {
    if (level === this.options.self) this.endpoint = endpoint;
  }

  unbind(level: string): void {
    if (level === this.options.self) this.endpoint = undefined;
  }

  /** The endpoint of the node this process serves, for the server's routes. */
  get local(): LevelEndpoint {
    if (this.endpoint === undefined) throw new EdgesumError(ErrorCodes.Unreachable, `level ${this.options.self} is not serving yet`, { level: this.options.self });
    return this.endpoint;
  }

  /** Remembers how to call a child back, from the partial it just posted. */
  learn(child: string, link: ChildLink): void {
    this.children.set(child, link);
  }

  async sendPartial(to: string, message: PartialMessage): Promise<void> {
    const parent = this.options.parent;
    if (parent === undefined || parent.id !== to) throw unreachable(to, `level ${this.options.self} has no link to "${to}"`);
    const headers: Record<string, string> = { authorization: `Bearer ${parent.token}`, 'content-type': 'application/json' };
    if (this.advertise !== undefined) headers['x-edgesum-advertise'] = this.advertise;
    await this.request(to, new URL('/v1/partials', parent.url), { method: 'POST', headers, body: JSON.stringify(message) });
  }

  async sendDirective(to: string, message: DirectiveMessage): Promise<void> {
    const link = this.childLink(to);
    await this.request(to, new URL('/v1/directives', link.url), { method: 'POST', headers: { authorization: `Bearer ${link.token}`, 'content-type': 'application/json' }, body: JSON.stringify(message) });
  }

  async queryStatus(to: string, destination: string): Promise<DestinationStatus> {
    const link = this.childLink(to);
    const response = await this.request(to, new URL(`/v1/destinations/${encodeURIComponent(destination)}/status`, link.url), { method: 'GET', headers: { authorization: `Bearer ${link.token}` } });
    return parseOrThrow(DestinationStatusSchema, await response.json(), `status of ${destination} from ${to}`);
  }

  private childLink(child: string): ChildLink & { url: string } {
    const link = this.children.get(child);
    if (link?.url === undefined) throw unreachable(child, `level ${child} has not called in with a URL to reach it on yet`);
    return link as ChildLink & { url: string };
  }

  private async request(peer: string, url: URL, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw unreachable(peer, `${url.origin} did not answer (${(error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (error as Error).message})`);
    }
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      const detail = /"message":"([^"]{0,300})/.exec(body)?.[1] ?? `HTTP ${response.status}`;
      if (response.status === 413) {
        // Not a lost link: sending it again cannot help until the message shrinks or the peer's limit grows.
        const bytes = typeof init.body === 'string' ? ` of ${Buffer.byteLength(init.body)} bytes` : '';
        throw new EdgesumError(ErrorCodes.MessageTooLarge, `level ${this.options.self}: ${url.origin} refused ${url.pathname}${bytes} as too large: ${detail}`, { level: peer });
      }
      throw unreachable(peer, `${url.origin} refused ${url.pathname}: ${response.status} ${detail}`);
    }
    return response;
  }
}

function unreachable(level: string, why: string): EdgesumError {
  return new EdgesumError(ErrorCodes.Unreachable, why, { level });
}
