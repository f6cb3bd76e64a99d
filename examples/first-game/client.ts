// A player in Node: join, hold "right" until the server has walked us 100 units, then leave.
// `npx tsx client.ts`. In a browser, drop the `ws` import and the WebSocket option.
import WebSocket from 'ws';
import { TickwireClient, type WebSocketConstructor } from 'tickwire/client';
import { walkersGame } from './walkers.js';

const client = new TickwireClient({
  url: process.env.URL ?? 'ws://localhost:8080/ws',
  game: walkersGame,
  name: 'ada',
  WebSocket: WebSocket as unknown as WebSocketConstructor,
});
const welcome = await client.connect();
console.log(`joined room ${welcome.roomId} as player ${welcome.playerId}`);

// The SDK's input clock says how many inputs are due (one per server tick).
const pump = setInterval(() => {
  for (let due = client.inputsDue(); due > 0; due--) client.sendInput({ keys: 2 });
}, 5);
client.on('snapshot', () => {
  const row = client.latest.indexOf(client.playerId);
  if (row < 0) return;
  const x = client.latest.get(row, 0);
  if (x < 600) return;
  console.log(`the server moved us to x = ${x}`);
  clearInterval(pump);
  client.close();
});
