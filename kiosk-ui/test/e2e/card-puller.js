/**
 * Pulls a virtual card out of its reader in the middle of a card write, deterministically.
 * The kiosk writes a card in a few milliseconds, too fast to pull it with the demo tray's
 * remove; so the tray's card is connected to vpcd through this relay (the tray slot's `vpcd`
 * address is the relay's port). vpcd's card protocol is frames of a 2-byte big-endian length
 * and the bytes: one byte for power/reset/ATR, else a command APDU. Once armed, the relay
 * cuts the card's connection when the first UPDATE BINARY (INS 0xD6) arrives, before the
 * card sees it: to the reader, the card left mid-write. Otherwise it passes everything.
 */
import net from 'node:net';

export async function startCardPuller(vpcdPort, listenPort = 0) {
  let armed = false;
  let pulled = () => {};
  const sockets = new Set();
  const server = net.createServer((card) => {
    const reader = net.connect(vpcdPort, '127.0.0.1');
    sockets.add(card);
    sockets.add(reader);
    const cut = () => {
      card.destroy();
      reader.destroy();
    };
    card.on('error', cut);
    reader.on('error', cut);
    card.on('close', () => { reader.destroy(); sockets.delete(card); });
    reader.on('close', () => { card.destroy(); sockets.delete(reader); });
    card.on('data', (bytes) => reader.write(bytes));
    let pending = Buffer.alloc(0);
    reader.on('data', (bytes) => {
      pending = Buffer.concat([pending, bytes]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const frame = pending.subarray(0, 2 + length);
        pending = pending.subarray(2 + length);
        if (armed && length >= 4 && frame[3] === 0xd6) {
          armed = false;
          cut();
          pulled();
          return;
        }
        card.write(frame);
      }
    });
  });
  await new Promise((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** The next UPDATE BINARY pulls the card; resolves once it has. */
    arm() {
      armed = true;
      return new Promise((resolve) => { pulled = resolve; });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
