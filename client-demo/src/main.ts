import { arenaGame, type ArenaInput } from '../../shared/games/arena';
import { radiansToAngle16 } from '../../shared/math/fixed-trig';
import { MAX_NAME_LENGTH } from '../../shared/protocol/control-messages';
import { FixedStepLoop } from '../../src/loop/fixed-step-loop';
import { TickwireClient } from '../../src/sdk/tickwire-client';
import { describeClose } from '../../shared/protocol/close-codes';
import { installDebugHook } from './debug-hook';
import { Hud, type HudInput } from './hud';
import { KeyboardMouse } from './keyboard-mouse';
import { OwnSmoother } from './own-smoother';
import { ArenaRenderer, type OwnPlayerFrame } from './renderer';
import { Scoreboard } from './scoreboard';
import { Viewport } from './viewport';

/**
 * The demo's wiring. One requestAnimationFrame loop does everything, in this order:
 * 1. the fixed-step loop sends one input per due simulation tick (and predicts it);
 * 2. the local player's drawn position is smoothed, remote entities are interpolated;
 * 3. the frame is drawn, the HUD and the debug hook are updated.
 */

/** Most ticks one frame may catch up; after a stall the rest is dropped rather than burst. */
const MAX_CATCH_UP_STEPS = 3;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>('arena');
const banner = $<HTMLDivElement>('banner');

const params = new URLSearchParams(location.search);
const name = (params.get('name') ?? '').trim().slice(0, MAX_NAME_LENGTH) || `player-${1000 + Math.floor(Math.random() * 9000)}`;
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

const client = new TickwireClient({ url, game: arenaGame, name });
const debug = installDebugHook(client);
const viewport = new Viewport($('frame'), canvas);
const devices = new KeyboardMouse(window);
const renderer = new ArenaRenderer(canvas);
const hud = new Hud($('hud'));
const scoreboard = new Scoreboard($<HTMLOListElement>('scoreboard'));
const smoother = new OwnSmoother();
const view = client.createView();
const input: ArenaInput = arenaGame.input.create();
const own: OwnPlayerFrame = { id: 0, visible: false, x: 0, y: 0, alive: false, aim: 0, name };
const ownScreen = { x: 0, y: 0 };
const hudInput: HudInput = { status: 'connecting', closeCode: 0, roomId: '', playerId: 0, name, tickRate: 0, serverTick: -1, playersInRoom: 0, mispredictions: 0 };
let loop: FixedStepLoop | undefined;
let lastFrame = Number.NaN;

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
  client.sendInput(input);
  smoother.afterStep(client.predicted);
}

function frame(now: number): void {
  requestAnimationFrame(frame);
  loop?.advance(now);
  const dt = Number.isNaN(lastFrame) ? 0 : now - lastFrame;
  lastFrame = now;

  const p = client.predicted;
  smoother.update(p, loop ? loop.alpha : 0, dt);
  own.id = client.playerId;
  own.visible = smoother.visible;
  own.x = smoother.x;
  own.y = smoother.y;
  own.alive = p?.alive ?? false;
  own.aim = input.aim;
  client.sampleRemote(performance.now(), view);
  renderer.draw(viewport.devicePerWorldPx, view, client.latest, client.players, own);

  hudInput.status = debug.status;
  hudInput.playerId = client.playerId;
  hudInput.serverTick = client.latestTick;
  hudInput.playersInRoom = client.players.size;
  hudInput.mispredictions = client.stats.mispredictions;
  hud.update(now, client.stats, hudInput);
  scoreboard.update(now, client.latest, client.players, client.playerId);

  debug.framesDrawn++;
  debug.playersDrawn = renderer.playersDrawn;
  debug.projectilesDrawn = renderer.projectilesDrawn;
  if (own.visible) {
    ownScreen.x = viewport.worldToCss(own.x);
    ownScreen.y = viewport.worldToCss(own.y);
    debug.ownScreen = ownScreen;
  } else debug.ownScreen = null;
}

client.on('close', (e) => {
  debug.status = hudInput.status = 'closed';
  hudInput.closeCode = e.code;
  loop = undefined;
  devices.releaseAll();
  banner.textContent = `Disconnected\n${describeClose(e.code, e.reason)}\n\nReload the page to play again.`;
  banner.hidden = false;
});

client.connect().then(
  (welcome) => {
    hudInput.roomId = welcome.roomId;
    hudInput.tickRate = welcome.tickRate;
    debug.status = 'playing';
    loop = new FixedStepLoop({ stepMs: 1000 / welcome.tickRate, maxCatchUpSteps: MAX_CATCH_UP_STEPS }, onStep);
    loop.start(performance.now());
  },
  () => {
    /* the close handler has already shown the code and reason */
  },
);

// A hidden tab gets no animation frames; on return, restart the step clock instead of catching up.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) loop?.start(performance.now());
});
addEventListener('resize', () => viewport.fit());
viewport.fit();
requestAnimationFrame(frame);
