// A STUN server on 127.0.0.1 that answers Binding requests (RFC 8489) with the sender's address.
// werift's ICE agent always asks a STUN server for a server-reflexive candidate, and waits 5 s
// for one it cannot reach (its default is a public server), so WebRTC tests give it this one.

import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;

export interface LoopbackStun {
  url: string;
  close(): Promise<void>;
}

export async function startLoopbackStun(): Promise<LoopbackStun> {
  const socket = createSocket('udp4');
  socket.on('message', (request, sender) => {
    if (request.length < 20 || request.readUInt16BE(0) !== BINDING_REQUEST || request.readUInt32BE(4) !== MAGIC_COOKIE) return;
    const response = Buffer.alloc(32);
    response.writeUInt16BE(BINDING_SUCCESS, 0);
    response.writeUInt16BE(12, 2);
    response.writeUInt32BE(MAGIC_COOKIE, 4);
    request.copy(response, 8, 8, 20);
    response.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
    response.writeUInt16BE(8, 22);
    response.writeUInt8(0x01, 25);
    response.writeUInt16BE(sender.port ^ (MAGIC_COOKIE >>> 16), 26);
    const address = sender.address.split('.').reduce((value, octet) => (value << 8) | Number(octet), 0) >>> 0;
    response.writeUInt32BE((address ^ MAGIC_COOKIE) >>> 0, 28);
    socket.send(response, sender.port, sender.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    url: `stun:127.0.0.1:${(socket.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
