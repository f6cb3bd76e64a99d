import { once } from 'node:events';
import pino from 'pino';
import WebSocket from 'ws';
import { arenaGame, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import { ManualClock, type Clock } from '../../src/loop/clock';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireServer, type TickwireServerOptions } from '../../src/server/tickwire-server';
import { TickwireClient, type ClientEvents, type TickwireClientOptions, type WebSocketConstructor } from '../../src/sdk/tickwire-client';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * A real server on 127.0.0.1, port 0, whose time is a ManualClock: nothing ticks until the test
 * calls `tick()`, so every test sees an exact number of ticks and never sleeps.
 */
export async function startServer(options: Partial<TickwireServerOptions> & { clock?: ManualClock } = {}) {
  // A test may make the clock first, e.g. to drive a token verifier's `now` from it.
  const clock = options.clock ?? new ManualClock(0);
  const lines: LogLine[] = [];
  const lineWaiters: [(l: LogLine) => boolean, number, () => void][] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        const line = JSON.parse(s) as LogLine;
        lines.push(line);
        for (const w of lineWaiters.slice()) {
          if (w[0](line) && --w[1] === 0) {
            lineWaiters.splice(lineWaiters.indexOf(w), 1);
            w[2]();
          }
        }
      },
    },
  );
  // Leaves and drops are seen through the room type's own hooks: barriers for tests that must
  // tick only after the server has processed a close.
  const leaves = counter();
  const drops = counter();
  const server = new TickwireServer({
    roomTypes: [defineRoomType({ game: arenaGame, onLeave: leaves.bump, onDrop: drops.bump })],
    port: 0,
    host: '127.0.0.1',
    clock,
    autoTick: false,
    logger,
    staticDir: null,
    // Every client here is 127.0.0.1 and tests read the log lines: no sampling unless asked.
    logBurst: 1_000_000,
    frontDoor: { perIpLimits: false },
    ...options,
  });
  await server.listen();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const tickMs = 1000 / (options.tickRate ?? 30);
  const clients: TickwireClient<unknown, unknown, unknown>[] = [];
  return {
    server,
    clock,
    url,
    lines,
    /** Resolves once `n` log lines (counted from the start) have matched `match`. */
    logged(match: (l: LogLine) => boolean, n = 1): Promise<void> {
      const seen = lines.filter(match).length;
      return seen >= n ? Promise.resolve() : new Promise((resolve) => lineWaiters.push([match, n - seen, resolve]));
    },
    /** Resolves once the server has removed `n` players in all (counted from the start). */
    leaves: leaves.reach,
    /** Resolves once `n` players in all have dropped (seat detached, held for a resume). */
    drops: drops.reach,
    /** Advance time by `n` ticks, one pump per tick. */
    tick(n = 1): void {
      for (let i = 0; i < n; i++) {
        clock.advance(tickMs);
        server.pump();
      }
    },
    /**
     * An SDK client over `ws` (not yet connected). No pings and no liveness timer, and reconnects
     * start at once (no jitter), so nothing runs on real time unless a test asks for it.
     *
     * It reads the server's ManualClock unless a test passes its own `clock`: the input clock is
     * placed from the join's round trip, so on the wall clock a join slowed by a loaded machine
     * (170 ms at load 13, five ticks at 30 Hz) would stamp the first inputs ticks later than the
     * tests count on. On this clock every round trip takes exactly the ticks the test runs.
     */
    client(name: string, extra: Partial<TickwireClientOptions<ArenaState, ArenaInput, Mover>> & { clock?: Clock } = {}) {
      const c = arenaClient(url, name, { random: () => 0, clock, ...extra });
      clients.push(c as never);
      return c;
    },
    async close(): Promise<void> {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

/**
 * An SDK arena client at `url` over `ws` (not yet connected): no pings and no liveness timer,
 * so nothing runs on real time unless a test asks for it.
 */
export function arenaClient(
  url: string,
  name: string,
  extra: Partial<TickwireClientOptions<ArenaState, ArenaInput, Mover>> & { clock?: Clock } = {},
) {
  return new TickwireClient({
    url,
    game: arenaGame,
    name,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    pingIntervalMs: 0,
    livenessTimeoutMs: 0,
    ...extra,
  } as TickwireClientOptions<ArenaState, ArenaInput, Mover>);
}

/** A count with waiters: `reach(n)` resolves once `bump` has been called n times in all. */
function counter() {
  let count = 0;
  const waiters: [number, () => void][] = [];
  return {
    bump: () => {
      count++;
      for (const w of waiters.slice()) {
        if (count >= w[0]) {
          waiters.splice(waiters.indexOf(w), 1);
          w[1]();
        }
      }
    },
    reach: (n: number): Promise<void> => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push([n, resolve]))),
  };
}

/** Resolve on the next `event` from `client` that satisfies `accept`; reject if it closes first. */
export function nextEvent<K extends keyof ClientEvents>(
  client: TickwireClient<any, any, any>,
  event: K,
  accept: (...args: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const off = client.on(event, (...args) => {
      if (!accept(...args)) return;
      off();
      offClose();
      resolve(args);
    });
    const offClose =
      event === 'close'
        ? () => {}
        : client.on('close', (e) => {
            off();
            offClose();
            reject(new Error(`closed while waiting for ${String(event)}: ${e.code} ${e.reason}`));
          });
  });
}

/**
 * Wait until the server has handled everything `client` sent so far: the server handles a
 * connection's messages in order, so the PONG to a PING sent now comes after all of them.
 */
export async function flush(client: TickwireClient<any, any, any>): Promise<void> {
  const pong = nextEvent(client, 'pong');
  client.ping();
  await pong;
}

/** A raw `ws` socket, for sending bytes the SDK never would. */
export async function rawSocket(url: string, options: { autoPong?: boolean } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  return ws;
}

/** The close code and reason of a raw socket, and every binary message it got before closing. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string; messages: Buffer[] }> {
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString(), messages })),
  );
}
