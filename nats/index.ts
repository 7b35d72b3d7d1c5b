export { connectNatsTransport, NatsTransport, type NatsTransportOptions } from './transport.js';
