import { jsonLogger } from '../core/log/index.js';
import { serveLevel } from '../app/serve.js';
import { loadServeConfig } from '../server/config.js';
import type { Output } from './io.js';
import { escapeLine } from './text.js';

/** Flags of `edgesum serve`. */
export interface ServeFlags {
  config: string;
  port?: string;
  data?: string;
  parentUrl?: string;
  json?: boolean;
}

/**
 * `edgesum serve`: runs one level node over HTTP until SIGINT or SIGTERM, then closes it in order
 * (the work loop, the server, the runner, the store) and exits 0. Prints one line once it listens:
 * the URL, or `{"listening": URL, "level": ID}` with `--json`. Logs go to stderr as JSON lines.
 */
export async function serveCommand(flags: ServeFlags, deps: { output: Output; port?: number; until?: Promise<unknown> }): Promise<number> {
  const config = loadServeConfig(flags.config, {
    ...(deps.port === undefined ? {} : { port: deps.port }),
    ...(flags.data === undefined ? {} : { data: flags.data }),
    ...(flags.parentUrl === undefined ? {} : { parentUrl: flags.parentUrl }),
  });
  const served = await serveLevel(config, { logger: jsonLogger('info', (line) => deps.output.err(line)) });
  deps.output.out(flags.json ? `${JSON.stringify({ listening: served.url, level: served.node.id })}\n` : `edgesum serve: level ${escapeLine(served.node.id)} (${served.node.kind}) listening on ${served.url}\n`);
  await (deps.until ?? signalled());
  await served.close();
  return 0;
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
