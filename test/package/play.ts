// Runs the tiny game's server from the installed package and plays it with the packaged client:
// exit 0 once the client sees its inputs counted.
import WebSocket from 'ws';
import { defineRoomType, TickwireServer, createLogger } from 'tickwire';
import { TickwireClient, type WebSocketConstructor } from 'tickwire/client';
import { counterGame } from './counter-game.js';

const server = new TickwireServer({
  roomTypes: [defineRoomType({ game: counterGame })],
  port: 0,
  host: '127.0.0.1',
  staticDir: null,
  logger: createLogger('warn'),
});
await server.listen();
const client = new TickwireClient({
  url: `ws://127.0.0.1:${server.port}/ws`,
  game: counterGame,
  name: 'smoke',
  WebSocket: WebSocket as unknown as WebSocketConstructor,
});
const welcome = await client.connect();
const timer = setInterval(() => {
  for (let n = client.inputsDue(); n > 0; n--) client.sendInput({ add: 3 });
}, 5);
const total = await new Promise<number>((resolve, reject) => {
  const give = setTimeout(() => reject(new Error('no total of 30 within 10 s')), 10_000);
  client.on('snapshot', () => {
    const t = client.latest.count > 0 ? client.latest.get(0, 0) : 0;
    if (t >= 30) {
      clearTimeout(give);
      resolve(t);
    }
  });
});
clearInterval(timer);
console.log(`package smoke: joined ${welcome.roomId} as #${welcome.playerId}, total ${total} counted by the server`);
client.close();
await server.close();
