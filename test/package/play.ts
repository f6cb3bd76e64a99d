// Runs the tiny game's server from the installed package and plays it with the packaged client:
// exit 0 once the client sees its inputs counted. `node out/play.js webrtc`: the same over a
// WebRTC data channel (the optional peers installed as the README says, and node-datachannel's
// polyfill as Node's RTCPeerConnection).
import WebSocket from 'ws';
import { defineRoomType, TickwireServer, createLogger } from 'tickwire';
import { TickwireClient, type WebSocketConstructor } from 'tickwire/client';
import { counterGame } from './counter-game.js';

const overWebRtc = process.argv[2] === 'webrtc';
// By name at run time: the first run has no node-datachannel installed at all.
const polyfill = 'node-datachannel/polyfill';
const wrtc = overWebRtc ? ((await import(polyfill)) as { RTCPeerConnection: unknown }) : undefined;
const server = new TickwireServer({
  roomTypes: [defineRoomType({ game: counterGame })],
  port: 0,
  host: '127.0.0.1',
  staticDir: null,
  logger: createLogger('warn'),
  webrtc: { enabled: overWebRtc },
});
await server.listen();
const client = new TickwireClient({
  url: `ws://127.0.0.1:${server.port}/ws`,
  game: counterGame,
  name: 'smoke',
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  transport: overWebRtc ? 'webrtc' : 'ws',
  webrtc: wrtc ? { wrtc } : undefined,
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
console.log(`package smoke (${client.transport}): joined ${welcome.roomId} as #${welcome.playerId}, total ${total} counted by the server`);
client.close();
await server.close();
