import { arenaGame, ArenaShotPredictor, type ArenaInput } from '../../shared/games/arena';
import { NetworkSimulator } from '../../src/sdk/network-simulator';
import { radiansToAngle16 } from '../../shared/math/fixed-trig';
import { clipName } from '../../shared/protocol/player-name';
import { TickwireClient } from '../../src/sdk/tickwire-client';
import { describeClose } from '../../shared/protocol/close-codes';
import { installDebugHook } from './debug-hook';
import { Hud, type HudInput } from './hud';
import { KeyboardMouse } from './keyboard-mouse';
import { OwnSmoother } from './own-smoother';
import { ArenaRenderer, type OwnPlayerFrame, type OwnShotsFrame } from './renderer';
import { NetGraph } from './net-graph';
import { NetPanel } from './net-panel';
import { Scoreboard } from './scoreboard';
import { ChatBox } from './chat-box';
import { matchSecondsLeft } from '../../shared/games/arena/arena-rules';
import { Viewport } from './viewport';

/**
 * The demo's wiring.
 * - Inputs: the SDK's input clock (tick sync) says when each tick's input is due; one is sent
 *   (and predicted) per due tick. A timer set for the next due time drives it, and so does every
 *   animation frame, so inputs leave at the tick rate whatever the display's frame rate, each
 *   stamped for the server tick it will arrive just before.
 * - Each animation frame: the local player's drawn position is smoothed, remote entities are
 *   interpolated, the frame is drawn, the HUD and the debug hook are updated.
 */

/**
 * Most ticks one call may catch up, in seconds of ticks: a short hitch is made up in full (a
 * slow device at 15 fps with a 60 Hz tick needs 4 per frame), a longer stall is dropped
 * rather than burst at the server.
 */
const MAX_CATCH_UP_SECONDS = 0.25;
/** {@link MAX_CATCH_UP_SECONDS} in ticks, once the tick rate is known. */
let maxCatchUp = 3;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>('arena');
const banner = $<HTMLDivElement>('banner');

const params = new URLSearchParams(location.search);
const name = clipName(params.get('name') ?? '') || `player-${1000 + Math.floor(Math.random() * 9000)}`;
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

/**
 * The seat survives a reload: the newest resume token is kept in this tab's sessionStorage, and
 * a reload within the server's resume window takes the same player (and score) back. Another
 * tab has its own storage, so it joins as a new player.
 */
const RESUME_KEY = 'tickwire.resume';
const storedResume = sessionStorage.getItem(RESUME_KEY) ?? undefined;
// Every message crosses the SDK's network simulator: a perfect link until the sliders say otherwise.
const net = new NetworkSimulator({ seed: (Math.random() * 0x7fffffff) | 0 });
// WebRTC when the server offers it (a lost snapshot holds nothing up), else WebSocket;
// `?transport=ws|webrtc|auto` picks (the network panel has a switch).
const transportParam = params.get('transport');
const transport = transportParam === 'ws' || transportParam === 'webrtc' ? transportParam : 'auto';
// When the server drains or dies, the SDK matchmakes again at this page's own origin (the front
// that serves the demo also answers POST /matchmake) and joins a new game: see 'moving'/'moved'.
const client = new TickwireClient({
  url,
  game: arenaGame,
  name,
  resumeToken: storedResume,
  transport,
  network: net,
  matchmake: { base: location.origin },
});
client.on('welcome', (w) => sessionStorage.setItem(RESUME_KEY, w.resumeToken));
client.on('transport', (choice) => {
  hudInput.transport = choice.kind === 'webrtc' ? 'WebRTC' : 'WebSocket';
  // Why it is WebSocket, as the SDK says it ('WebRTC is off on this server: playing over
  // WebSocket'), less the part the line already says.
  if (choice.reason !== 'connected' && choice.reason !== 'configured')
    hudInput.transport += ` (${choice.reason.replace(/: playing over WebSocket$/, '')})`;
});
const debug = installDebugHook(client, net);
const netGraph = new NetGraph($<HTMLCanvasElement>('netgraph'));
new NetPanel($<HTMLDetailsElement>('netpanel'), net, params, transport);
debug.netGraph = netGraph.latest;
let shots = new ArenaShotPredictor(30);
const ownShots: OwnShotsFrame = { predicted: true, count: 0, xy: new Float64Array(64) };
const shotAt = { x: 0, y: 0 };
client.on('snapshot', (_tick, ackSeq) => shots.reconcile(client.latest, client.playerId, ackSeq));
const viewport = new Viewport($('frame'), canvas);
const devices = new KeyboardMouse(window);
const renderer = new ArenaRenderer(canvas);
const hud = new Hud($('hud'));
const scoreboard = new Scoreboard($<HTMLOListElement>('scoreboard'));
const smoother = new OwnSmoother();
const chatBox = new ChatBox($('chat'), client as never, () => devices.releaseAll());
const view = client.createView();
const input: ArenaInput = arenaGame.input.create();
const own: OwnPlayerFrame = { id: 0, visible: false, x: 0, y: 0, alive: false, aim: 0, name };
const ownScreen = { x: 0, y: 0 };
const hudInput: HudInput = {
  transport: '–',
  status: 'connecting',
  closeCode: 0,
  reconnectAttempt: 0,
  roomId: '',
  playerId: 0,
  name,
  tickRate: 0,
  serverTick: -1,
  playersInRoom: 0,
  mispredictions: 0,
};
let playing = false;
let lastFrame = Number.NaN;
let stepTimer: ReturnType<typeof setTimeout> | undefined;

/** Send the inputs due now on the SDK's input clock. */
function runDueSteps(now: number): void {
  if (!playing || document.hidden) return;
  for (let n = client.inputsDue(now, maxCatchUp); n > 0; n--) onStep();
}

/** Run the due steps now, and wake again when the next one is due. */
function pumpSteps(): void {
  stepTimer = undefined;
  if (!playing || document.hidden) return;
  const now = performance.now();
  runDueSteps(now);
  stepTimer = setTimeout(pumpSteps, Math.max(1, client.msUntilNextInput(now)));
}

/** One simulation tick: read the devices, aim from the drawn player towards the pointer, send. */
function onStep(): void {
  input.buttons = devices.buttons;
  if (devices.hasPointer && smoother.visible) {
    const dx = viewport.clientToWorldX(devices.clientX) - smoother.x;
    const dy = viewport.clientToWorldY(devices.clientY) - smoother.y;
    // +y is screen-down in both the world and the u16 angle, so atan2 maps straight across.
    if (dx !== 0 || dy !== 0) input.aim = radiansToAngle16(Math.atan2(dy, dx));
  }
  smoother.beforeStep(client.predicted);
  const seq = client.sendInput(input);
  smoother.afterStep(client.predicted);
  shots.fired(seq, input, client.predicted);
}

function frame(now: number): void {
  requestAnimationFrame(frame);
  runDueSteps(now);
  const dt = Number.isNaN(lastFrame) ? 0 : now - lastFrame;
  lastFrame = now;

  const p = client.predicted;
  smoother.update(p, client.tickSync?.phase(now) ?? 0, dt);
  own.id = client.playerId;
  own.visible = smoother.visible;
  own.x = smoother.x;
  own.y = smoother.y;
  own.alive = p?.alive ?? false;
  own.aim = input.aim;
  client.sampleRemote(performance.now(), view);
  // Own shots at the present: the tick the own player is drawn at.
  const ownTick = client.lastInputTick - 1 + (client.tickSync?.phase(now) ?? 0);
  ownShots.count = 0;
  for (const shot of shots.shots) {
    if (ownShots.count * 2 + 2 > ownShots.xy.length || !shots.positionAt(shot, ownTick, shotAt)) continue;
    ownShots.xy[ownShots.count * 2] = shotAt.x;
    ownShots.xy[ownShots.count * 2 + 1] = shotAt.y;
    ownShots.count++;
  }
  renderer.draw(viewport.devicePerWorldPx, view, client.latest, client.players, own, client.detachedPlayers, ownShots);
  netGraph.update(now, client);

  hudInput.status = debug.status;
  hudInput.playerId = client.playerId;
  hudInput.serverTick = client.latestTick;
  hudInput.playersInRoom = client.players.size;
  hudInput.mispredictions = client.stats.mispredictions;
  hud.update(now, client.stats, hudInput);
  const tickRate = client.welcome?.tickRate ?? 30;
  scoreboard.update(now, client.globals, client.players, client.playerId, matchSecondsLeft(client.serverTick(now), tickRate));

  debug.framesDrawn++;
  debug.playersDrawn = renderer.playersDrawn;
  debug.projectilesDrawn = renderer.projectilesDrawn;
  if (own.visible) {
    ownScreen.x = viewport.worldToCss(own.x);
    ownScreen.y = viewport.worldToCss(own.y);
    debug.ownScreen = ownScreen;
  } else debug.ownScreen = null;
}

// A dropped link is taken back by the SDK: same player, same score. Keys are released so
// nothing stays held down through the outage, and the banner says what is happening.
client.on('drop', () => {
  debug.status = hudInput.status = 'reconnecting';
  devices.releaseAll();
});
client.on('reconnecting', ({ attempt, delayMs }) => {
  hudInput.reconnectAttempt = attempt;
  banner.textContent = `Connection lost\nreconnecting… (attempt ${attempt}, in ${(delayMs / 1000).toFixed(1)} s)`;
  banner.hidden = false;
});
client.on('resumed', () => {
  debug.status = hudInput.status = 'playing';
  banner.hidden = true;
  if (noticeTimer === undefined) banner.textContent = '';
});
let noticeTimer: ReturnType<typeof setInterval> | undefined;
client.on('notice', (n) => {
  if (n.kind !== 'shutdown') {
    // Operators' notices and this player's notifications: a line in the chat box.
    chatBox.note(`${n.kind === 'direct' ? '✉ ' : '📢 '}${n.message}`);
    return;
  }
  // Count down to the server's 1001 close, once a second.
  const endsAt = performance.now() + (n.secondsLeft ?? 0) * 1000;
  clearInterval(noticeTimer);
  const tickDown = () => showNotice(`${n.message}\nclosing in ${Math.max(0, Math.ceil((endsAt - performance.now()) / 1000))} s`);
  tickDown();
  noticeTimer = setInterval(tickDown, 1000);
});

// The server is going away: the SDK looks for a game elsewhere; a line in the chat box says so
// and how it went. A move is a new player in a new room, so the per-room views start afresh.
// When the room itself moves ('room-moved'), the game goes on: same room, player and score.
client.on('moving', ({ cause }) => {
  if (cause === 'room-moved') chatBox.note('⇄ the server is restarting: this game moves to another server…');
  else chatBox.note(`⇄ ${cause === 'drain' ? 'the server is restarting' : 'the server stopped answering'}, finding a new game…`);
});
client.on('moved', ({ cause, to, ms }) => {
  clearInterval(noticeTimer);
  noticeTimer = undefined;
  banner.hidden = true;
  banner.textContent = '';
  if (cause === 'room-moved') {
    chatBox.note(`⇄ this game moved${to.node ? ` to ${to.node}` : ''} (${Math.round(ms)} ms)`);
    return;
  }
  chatBox.note(`⇄ moved to a new game: room ${to.roomId}${to.node ? ` on ${to.node}` : ''} (${Math.round(ms)} ms)`);
  const w = client.welcome!;
  hudInput.roomId = w.roomId;
  shots = new ArenaShotPredictor(w.tickRate);
  debug.shots = shots;
  debug.status = hudInput.status = 'playing';
});
client.on('moveFailed', ({ reason }) => chatBox.note(`⇄ no new game found: ${reason}`));

function showNotice(text: string): void {
  banner.textContent = text;
  banner.hidden = false;
}

client.on('close', (e) => {
  clearInterval(noticeTimer);
  noticeTimer = undefined;
  debug.status = hudInput.status = 'closed';
  hudInput.closeCode = e.code;
  playing = false;
  clearTimeout(stepTimer);
  devices.releaseAll();
  sessionStorage.removeItem(RESUME_KEY);
  banner.textContent = `Disconnected\n${describeClose(e.code, e.reason)}\n\nReload the page to play again.`;
  banner.hidden = false;
});

client.connect().then(
  (welcome) => {
    hudInput.roomId = welcome.roomId;
    hudInput.tickRate = welcome.tickRate;
    shots = new ArenaShotPredictor(welcome.tickRate);
    debug.shots = shots;
    debug.status = 'playing';
    maxCatchUp = Math.max(3, Math.ceil(welcome.tickRate * MAX_CATCH_UP_SECONDS));
    playing = true;
    pumpSteps();
  },
  () => {
    /* the close handler has already shown the code and reason */
  },
);

// A hidden tab gets no animation frames and timers at most once a second. Send one last input
// with every key up, so the player stops now rather than walking on while the server repeats
// the last input, then pause; on return, the input clock skips the ticks missed (the server
// stood the player still for them) instead of catching up.
document.addEventListener('visibilitychange', () => {
  if (!playing) return;
  if (document.hidden) {
    clearTimeout(stepTimer);
    stepTimer = undefined;
    devices.releaseAll();
    onStep();
  } else {
    client.inputsDue(performance.now(), 0);
    pumpSteps();
  }
});
addEventListener('resize', () => viewport.fit());
viewport.fit();
requestAnimationFrame(frame);
