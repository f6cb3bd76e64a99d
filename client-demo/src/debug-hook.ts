import { replay, type ReplayLog } from '../../shared/game/replay';
import { arenaGame, ArenaShotPredictor, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import type { NetworkSimulator } from '../../src/sdk/network-simulator';
import type { TickwireClient } from '../../src/sdk/tickwire-client';
import type { ConnectionStatus } from './hud';

/**
 * `window.__tickwire`: what the e2e test (and a curious developer in the console) reads.
 * Plain fields, updated in place every frame.
 */
export interface TickwireDebug {
  client: TickwireClient<ArenaState, ArenaInput, Mover>;
  /** The network simulator every message crosses (the sliders drive it). */
  net: NetworkSimulator;
  /** The own shots' prediction. */
  shots: ArenaShotPredictor;
  /** The net graph's newest figures. */
  netGraph: { rttMs: number; jitterMs: number; delayMs: number; leadMs: number; kbitPerS: number; corrections: number } | null;
  status: ConnectionStatus;
  /** Frames rendered since load. */
  framesDrawn: number;
  /** Players in the last frame (live or ghost, the local one included). */
  playersDrawn: number;
  /** Projectiles in the last frame. */
  projectilesDrawn: number;
  /** The local player's centre in the last frame, CSS px from the canvas's top-left; null if not drawn. */
  ownScreen: { x: number; y: number } | null;
  /**
   * Rebuild a recorded session with this page's copy of the game and return the state hash:
   * equal to Node's for the same log proves the browser simulates bit for bit like the server.
   */
  replayHash(log: ReplayLog): number;
}

declare global {
  interface Window {
    __tickwire?: TickwireDebug;
  }
}

/** Create the hook and publish it on `window`. */
export function installDebugHook(client: TickwireDebug['client'], net: NetworkSimulator): TickwireDebug {
  const hook: TickwireDebug = {
    client,
    net,
    shots: new ArenaShotPredictor(30),
    netGraph: null,
    status: 'connecting',
    framesDrawn: 0,
    playersDrawn: 0,
    projectilesDrawn: 0,
    ownScreen: null,
    replayHash: (log) => replay(arenaGame, log).hash,
  };
  window.__tickwire = hook;
  return hook;
}
