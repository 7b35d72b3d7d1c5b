/** Structured logging port. Fields are JSON-serializable; the message is a short sentence. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Discards everything: the default for libraries and tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Writes one JSON object per line to a stream (stderr by default), at `minimum` and above. */
export function jsonLogger(minimum: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (order[level] >= order[minimum]) write(`${JSON.stringify({ level, message, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
