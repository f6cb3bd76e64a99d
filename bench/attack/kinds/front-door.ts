/**
 * The front door's kinds: sockets and requests that try to wear out the door itself (its
 * connection and request limits, its message rates, its read deadline, its decoder). All
 * come from one address, 127.0.0.1; they are judged by the bystander alone.
 */
import net from 'node:net';
import type WebSocket from 'ws';
import { encodeControl } from '../../../shared/protocol/control-messages';
import { MessageType } from '../../../shared/protocol/message-types';
import { type AttackKind, attackerJoin, bump, health, MAX_ATTEMPTS, offendRepeatedly, openWs, sleep } from '../attack-kit';

/** Open sockets and never join, as fast as the door lets it. */
export const connectionFlood: AttackKind = {
  name: 'connection flood',
  attack: async ({ url, until, tally }) => {
    const held: WebSocket[] = [];
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const { ws, outcome } = await openWs(url);
      bump(tally, outcome);
      if (outcome === 'open') held.push(ws);
      else await sleep(20);
    }
    for (const ws of held) ws.terminate();
  },
};

/** TCP connections that start an HTTP request and never finish it. */
export const slowloris: AttackKind = {
  name: 'slowloris',
  attack: async ({ port, until, tally }) => {
    const sockets: net.Socket[] = [];
    while (performance.now() < until && sockets.length < 200) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => bump(tally, 'closed by the server'));
      s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      sockets.push(s);
      bump(tally, 'opened');
      await sleep(25);
    }
    await sleep(Math.max(0, until - performance.now()));
    for (const s of sockets) s.destroy();
  },
};

/** Pipelined GET /health and GET / on keep-alive sockets. */
export const httpFlood: AttackKind = {
  name: 'http flood',
  attack: async ({ port, until, tally }) => {
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () =>
          s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(50)),
        );
        s.on('data', (d) => {
          for (const m of d.toString().matchAll(/HTTP\/1\.1 (\d{3})/g)) bump(tally, `HTTP ${m[1]}`);
        });
        s.on('error', () => {});
        s.on('close', () => resolve());
        setTimeout(() => s.destroy(), 500);
      });
    }
  },
};

/** Join, then send messages far over the rate limit; reconnect when thrown out. */
export const messageFlood: AttackKind = {
  name: 'message flood',
  attack: (ctx) => {
    const ping = encodeControl(MessageType.Ping, { t: 0 });
    return offendRepeatedly(ctx, (ws) => {
      ws.send(attackerJoin);
      for (let k = 0; k < 1000 && ws.readyState === 1; k++) ws.send(ping);
    });
  },
};

/** WebSocket ping frames, which ws answers by itself, as fast as possible. */
export const pingFrameFlood: AttackKind = {
  name: 'ping-frame flood',
  attack: (ctx) =>
    offendRepeatedly(ctx, (ws) => {
      for (let k = 0; k < 1000 && ws.readyState === 1; k++) ws.ping();
    }),
};

/**
 * Join, then stop reading. A paused socket cannot see its own close either, so the after-phase
 * check watches the server's connection count instead.
 */
export const clientsThatNeverRead: AttackKind = {
  name: 'clients that never read',
  attack: async ({ url, tally, held }) => {
    const { ws, outcome } = await openWs(url);
    bump(tally, outcome);
    if (outcome !== 'open') return;
    ws.send(attackerJoin);
    ws.pause(); // ws stops reading the socket: nothing is read, so no heartbeat is answered
    held.push(ws);
  },
  afterPhase: async ({ server, t0, tally, held }) => {
    if (held.length === 0) return;
    // Sockets left open on purpose: time how long the server takes to close them (its
    // readStallMs is 8 s), watching its connection count (/health is cached for 1 s)
    // fall back to the bystander's alone.
    let left = held.length;
    while (performance.now() - t0 < 15_000) {
      await sleep(1100);
      left = (await health(server.port)).connections - 1;
      if (left === 0) break;
    }
    tally[
      left === 0
        ? `all closed by the server within ${((performance.now() - t0) / 1000).toFixed(1)} s of joining`
        : `${left} still open after 15 s`
    ] = held.length;
    for (const ws of held) ws.terminate();
  },
};

/** Malformed bytes: an unknown message type, then a truncated JOIN, then garbage. */
export const malformed: AttackKind = {
  name: 'malformed',
  attack: (ctx) => {
    const offences = [Uint8Array.of(0x7f), attackerJoin.subarray(0, 5), Uint8Array.of(0x10, 0xff, 0xff, 0xff)];
    let n = 0;
    return offendRepeatedly(ctx, (ws) => ws.send(offences[n++ % offences.length]));
  },
};
