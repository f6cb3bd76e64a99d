import type { Room } from '../rooms/room';
import type { HealthReport } from './health';

/** One player as the monitor shows it. */
export interface MonitorPlayer {
  id: number;
  name: string;
  /** 'ws', 'webrtc', 'memory', or 'detached' while its seat is held. */
  transport: string;
  /** Heartbeat round trip, ms (null before the first answer). */
  rttMs: number | null;
  /** How early its inputs arrive (its input cushion), ms (null before the first). */
  inputLeadMs: number | null;
}

/** What `/monitor/data` answers: the rooms with their players, and the server's totals. */
export interface MonitorData {
  /** Server time of the reading, ms since the epoch. */
  at: number;
  rooms: { id: string; type: string; tick: number; tickMs: number; players: MonitorPlayer[] }[];
  totals: HealthReport['totals'];
  traffic: { messagesIn: number; bytesIn: number; messagesOut: number; bytesOut: number };
  connections: number;
  process: HealthReport['process'];
  webrtc: HealthReport['webrtc'];
}

/** The part of a room's client the monitor reads (a session). */
interface Watched {
  readonly rttMs?: number;
  readonly transportKind?: string;
}

const orNull = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);

/** Build the monitor's reading: at most 100 rooms, busiest first, and 200 players each. */
export function monitorData(rooms: Iterable<Room>, health: HealthReport, traffic: MonitorData['traffic']): MonitorData {
  const list = [...rooms].sort((a, b) => b.players.length - a.players.length).slice(0, 100);
  return {
    at: Date.now(),
    rooms: list.map((room) => ({
      id: room.id,
      type: room.type.name,
      tick: room.tick,
      tickMs: Math.round(room.tickMs * 1000) / 1000,
      players: room.players.slice(0, 200).map((p) => {
        const client = p.client as unknown as Watched;
        return {
          id: p.id,
          name: p.name,
          transport: p.connected ? (client.transportKind ?? 'unknown') : 'detached',
          rttMs: p.connected ? orNull(client.rttMs ?? Number.NaN) : null,
          inputLeadMs: orNull(p.lastInputLeadMs),
        };
      }),
    })),
    totals: health.totals,
    traffic: { ...traffic },
    connections: health.connections,
    process: health.process,
    webrtc: health.webrtc ?? null,
  };
}
