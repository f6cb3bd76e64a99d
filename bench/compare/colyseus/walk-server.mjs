// A Colyseus 0.18 server with one room type, "walk": the state tickwire's walking bots produce
// (each player's x and y, schema-synced), simulated at 30 Hz and patched to clients at 30 Hz.
// Run by `npm run bench:colyseus` from the folder it installs Colyseus into (outside the source
// tree), as `node walk-server.mjs PORT MAX_CLIENTS`. Our own code, written for this comparison.
import { Room, Server } from '@colyseus/core';
import { schema, t } from '@colyseus/schema';
import { WebSocketTransport } from '@colyseus/ws-transport';

const port = Number(process.argv[2] ?? 2567);
const maxClients = Number(process.argv[3] ?? 100);
/** Ticks per second, as tickwire's default room. */
const TICK_HZ = 30;
/** World units per second, as the arena's walking speed; the world is 1,000 × 1,000. */
const SPEED = 200;
const WORLD = 1000;
/** Direction codes 0-8 (0: standing) as unit steps. */
const DIRS = [
  [0, 0],
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [Math.SQRT1_2, Math.SQRT1_2],
  [-Math.SQRT1_2, Math.SQRT1_2],
  [Math.SQRT1_2, -Math.SQRT1_2],
  [-Math.SQRT1_2, -Math.SQRT1_2],
];

const Player = schema({ x: t.number(), y: t.number() }, 'Player');
const WalkState = schema({ players: t.map(Player) }, 'WalkState');

class WalkRoom extends Room {
  onCreate() {
    this.maxClients = maxClients;
    this.setState(new WalkState());
    /** sessionId → { player, dir }: the direction (not synced) the newest input asked for. */
    this.walkers = new Map();
    this.setPatchRate(1000 / TICK_HZ);
    // Message 1: the walking input, a direction code, sent every tick as tickwire's bots do.
    this.onMessage(1, (client, dir) => {
      const walker = this.walkers.get(client.sessionId);
      if (walker && Number.isInteger(dir) && dir >= 0 && dir < DIRS.length) walker.dir = dir;
    });
    const step = SPEED / TICK_HZ;
    this.setSimulationInterval(() => {
      for (const { player: p, dir } of this.walkers.values()) {
        const [dx, dy] = DIRS[dir];
        if (dx === 0 && dy === 0) continue;
        p.x = Math.min(WORLD, Math.max(0, p.x + dx * step));
        p.y = Math.min(WORLD, Math.max(0, p.y + dy * step));
      }
    }, 1000 / TICK_HZ);
  }

  onJoin(client) {
    const player = new Player({ x: Math.random() * WORLD, y: Math.random() * WORLD });
    this.state.players.set(client.sessionId, player);
    this.walkers.set(client.sessionId, { player, dir: 0 });
  }

  onLeave(client) {
    this.state.players.delete(client.sessionId);
    this.walkers.delete(client.sessionId);
  }
}

const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define('walk', WalkRoom);
await server.listen(port, '127.0.0.1');
process.stdout.write(`listening ${port}\n`);
