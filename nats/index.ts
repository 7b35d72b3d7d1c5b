export { connectNatsTransport, NatsTransport, type NatsTransportOptions } from './transport.js';
export { requireNatsServer, startLinkProxy, startNatsServer, type LinkProxy, type NatsServer } from './loopback.js';
