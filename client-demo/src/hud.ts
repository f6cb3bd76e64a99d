import type { ClientStats } from '../../src/sdk/tickwire-client';

/** How often the text is rewritten, ms: fast enough to feel live, slow enough to read. */
const REFRESH_MS = 250;
/** Window over which rates are measured, ms. */
const RATE_WINDOW_MS = 1000;

export type ConnectionStatus = 'connecting' | 'playing' | 'reconnecting' | 'closed';

/** What the HUD shows; the caller fills it each frame (plain fields, no allocation). */
export interface HudInput {
  status: ConnectionStatus;
  /** The link's transport, and why it is WebSocket when WebRTC was tried ('WebRTC is off on this server'). */
  transport: string;
  /** Close code while closed. */
  closeCode: number;
  /** Reconnect attempt while reconnecting (from 1). */
  reconnectAttempt: number;
  roomId: string;
  playerId: number;
  name: string;
  tickRate: number;
  serverTick: number;
  playersInRoom: number;
  mispredictions: number;
}

/**
 * The numbers panel: connection status, ping, server tick, snapshots/s, kbit/s received and
 * players. Rates come from deltas of the SDK's running counters over one-second windows.
 */
export class Hud {
  private lastRefresh = -Infinity;
  private windowStart = Number.NaN;
  private windowSnapshots = 0;
  private windowBytes = 0;
  private snapshotsPerS = -1;
  private kbitPerS = -1;

  constructor(private readonly el: HTMLElement) {}

  /** Advance the rate windows and, at most every {@link REFRESH_MS}, rewrite the text. */
  update(now: number, stats: ClientStats, s: HudInput): void {
    if (Number.isNaN(this.windowStart)) this.restartWindow(now, stats);
    else if (now - this.windowStart >= RATE_WINDOW_MS) {
      const seconds = (now - this.windowStart) / 1000;
      this.snapshotsPerS = (stats.snapshots - this.windowSnapshots) / seconds;
      this.kbitPerS = ((stats.bytesReceived - this.windowBytes) * 8) / 1000 / seconds;
      this.restartWindow(now, stats);
    }
    if (now - this.lastRefresh < REFRESH_MS) return;
    this.lastRefresh = now;
    const status =
      s.status === 'closed' ? `closed (${s.closeCode})` : s.status === 'reconnecting' ? `reconnecting (${s.reconnectAttempt})` : s.status;
    this.el.textContent =
      `status   ${status}\n` +
      `link     ${s.transport}\n` +
      `you      ${s.name}${s.playerId ? ` #${s.playerId}` : ''}\n` +
      `room     ${s.roomId || '–'} · ${s.playersInRoom} player${s.playersInRoom === 1 ? '' : 's'}\n` +
      `ping     ${stats.lastPingMs < 0 ? '–' : `${stats.lastPingMs.toFixed(0)} ms`}\n` +
      `tick     ${s.serverTick < 0 ? '–' : s.serverTick} @ ${s.tickRate || '–'} Hz\n` +
      `snaps    ${this.snapshotsPerS < 0 ? '–' : `${this.snapshotsPerS.toFixed(1)} /s`}\n` +
      `down     ${this.kbitPerS < 0 ? '–' : `${this.kbitPerS.toFixed(1)} kbit/s`}\n` +
      `mispred  ${s.mispredictions}`;
  }

  private restartWindow(now: number, stats: ClientStats): void {
    this.windowStart = now;
    this.windowSnapshots = stats.snapshots;
    this.windowBytes = stats.bytesReceived;
  }
}
