import pino from 'pino';
import { arenaGame, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import { ManualScheduler } from '../../src/loop/timers';
import { defineRoomType } from '../../src/rooms/room-type';
import { TickwireClient, type TickwireClientOptions } from '../../src/sdk/tickwire-client';
import { TickwireServer, type TickwireServerOptions } from '../../src/server/tickwire-server';
import type { MemoryLink } from '../../src/transport/memory-transport';

/**
 * A server and its clients in one process with no sockets at all: every link is a
 * {@link MemoryLink}, and one {@link ManualScheduler} is the clock and the timers of the server,
 * the links and the SDK. Nothing happens until the test advances time, so backoff, liveness,
 * latency and stalls are exact.
 */
export function memoryServer(options: Partial<TickwireServerOptions> = {}) {
  const time = new ManualScheduler(0);
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const server = new TickwireServer({
    roomTypes: [defineRoomType({ game: arenaGame })],
    clock: time,
    autoTick: false,
    staticDir: null,
    logBurst: 1_000_000,
    frontDoor: { perIpLimits: false },
    logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }),
    ...options,
  });
  const tickMs = 1000 / (options.tickRate ?? 30);
  /** Every link opened, in order: the newest is a client's current one. */
  const links: MemoryLink[] = [];
  /** One-way latency for links opened from now on, ms. */
  let latencyMs = 0;
  return {
    server,
    time,
    lines,
    links,
    set latencyMs(ms: number) {
      latencyMs = ms;
    },
    /** An SDK client whose links are in-memory; no pings, reconnects with no jitter. */
    client(name: string, extra: Partial<TickwireClientOptions<ArenaState, ArenaInput, Mover>> = {}) {
      return new TickwireClient({
        url: 'memory:',
        game: arenaGame,
        name,
        connect: () => {
          const link = server.openMemoryLink({ timers: time, latencyMs });
          links.push(link);
          return link.client;
        },
        clock: time,
        timers: time,
        random: () => 0,
        pingIntervalMs: 0,
        ...extra,
      } as TickwireClientOptions<ArenaState, ArenaInput, Mover>);
    },
    /** Let every queued microtask (zero-latency link deliveries) run. */
    async settle(): Promise<void> {
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    },
    /** Advance time by `ms`, pumping the server at every tick boundary and settling deliveries. */
    async advance(ms: number): Promise<void> {
      const end = time.now() + ms;
      await this.settle(); // what was sent before the call arrives before the first tick
      while (time.now() < end) {
        time.advance(Math.min(tickMs, end - time.now()));
        server.pump();
        await this.settle();
      }
    },
    /** `n` ticks of time. */
    async tick(n = 1): Promise<void> {
      await this.advance(n * tickMs);
    },
  };
}
