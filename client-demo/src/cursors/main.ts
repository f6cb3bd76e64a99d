import { BOARD_H, BOARD_W, CursorField, cursorsGame, type CursorInput } from '../../../shared/games/cursors';
import { clipName } from '../../../shared/protocol/player-name';
import { describeClose } from '../../../shared/protocol/close-codes';
import { TickwireClient } from '../../../src/sdk/tickwire-client';

/**
 * The cursors page: a second game on the same server (room type 'cursors', 60 Hz). The own
 * pointer is drawn where it is, at once; everyone else's is interpolated by the SDK, with
 * their name and colour. It is the whole client: the SDK does the networking.
 */
const COLOURS = [
  '#ff7a59',
  '#ffc145',
  '#b48cff',
  '#ff6fb5',
  '#5ab8ff',
  '#f0f0f0',
  '#4ade80',
  '#f87171',
  '#fbbf24',
  '#38bdf8',
  '#a3e635',
  '#e879f9',
];

const canvas = document.getElementById('board') as HTMLCanvasElement;
const status = document.getElementById('status') as HTMLSpanElement;
const ctx = canvas.getContext('2d')!;
const params = new URLSearchParams(location.search);
const name = clipName(params.get('name') ?? '') || `guest-${1000 + Math.floor(Math.random() * 9000)}`;
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const client = new TickwireClient({ url, game: cursorsGame, roomType: 'cursors', name });
const view = client.createView();
// For the browser test: the client, as the arena page exposes its own.
(window as unknown as { __cursors: { client: typeof client } }).__cursors = { client };
const input: CursorInput = cursorsGame.input.create();
let playing = false;

/** The pointer in board units (the canvas may be scaled by CSS). */
canvas.addEventListener('pointermove', (e) => {
  const r = canvas.getBoundingClientRect();
  input.x = Math.round(((e.clientX - r.left) / r.width) * BOARD_W);
  input.y = Math.round(((e.clientY - r.top) / r.height) * BOARD_H);
  input.present = 1;
});
canvas.addEventListener('pointerleave', () => (input.present = 0));

client.on('welcome', (w) => {
  playing = true;
  status.textContent = `${name} in ${w.roomId} (${w.tickRate} Hz)`;
});
client.on('close', (e) => {
  playing = false;
  status.textContent = `disconnected: ${describeClose(e.code, e.reason)}`;
});
void client.connect().catch(() => {});

function frame(now: number): void {
  requestAnimationFrame(frame);
  // One input per due tick of the SDK's input clock (60 Hz here).
  if (playing && !document.hidden) for (let n = client.inputsDue(now, 15); n > 0; n--) client.sendInput(input);
  client.sampleRemote(now, view);
  ctx.clearRect(0, 0, BOARD_W, BOARD_H);
  ctx.font = '12px system-ui, sans-serif';
  for (let r = 0; r < view.count; r++) {
    const id = view.ids[r]!;
    if (id === client.playerId || view.get(r, CursorField.Present) === 0) continue;
    drawCursor(
      view.get(r, CursorField.X),
      view.get(r, CursorField.Y),
      COLOURS[view.get(r, CursorField.Colour)] ?? '#fff',
      client.players.get(id) ?? `#${id}`,
    );
  }
  if (input.present) drawCursor(input.x, input.y, '#2ee6a6', name);
}

function drawCursor(x: number, y: number, colour: string, label: string): void {
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 4, y + 16);
  ctx.lineTo(x + 8, y + 10);
  ctx.lineTo(x + 15, y + 9);
  ctx.closePath();
  ctx.fill();
  ctx.fillText(label, x + 14, y + 22);
}

requestAnimationFrame(frame);
