/** Real nats-server processes for the NATS tests; a missing server fails the test, never skips it. */
export { requireNatsServer, startLinkProxy, startNatsServer, type LinkProxy, type NatsServer } from '../../nats/loopback.js';
