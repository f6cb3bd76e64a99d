// The server: one room type for the game, on port 8080 (PORT overrides). `npx tsx server.ts`.
import { TickwireServer, defineRoomType } from 'tickwire';
import { walkersGame } from './walkers.js';

const server = new TickwireServer({
  roomTypes: [defineRoomType({ game: walkersGame, maxPlayers: 16, tickRate: 60, sendRate: 30 })],
  port: Number(process.env.PORT ?? 8080),
  // No web page to serve: this game's player is client.ts.
  staticDir: null,
});
await server.listen();
console.log(`walkers on ws://localhost:${server.port}/ws`);
