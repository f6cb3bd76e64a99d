import { PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import type { RoomManager } from '../rooms/room-manager';

/** Totals that outlive rooms: added to as rooms are disposed. */
export interface RetiredTotals {
  ticks: number;
  overruns: number;
  droppedSteps: number;
  snapshotsSent: number;
  snapshotsSkipped: number;
  bytesSent: number;
  /** Player-ticks with no new input: clients sending late or not at all. */
  inputsStarved: number;
  /** Inputs dropped to cut a standing backlog (each is one tick of latency removed). */
  inputsShed: number;
  /** Inputs dropped because a player's queue was full (sent faster than the tick rate). */
  inputsDropped: number;
}

/** The body of `GET /health`. */
export interface HealthReport {
  status: 'ok';
  protocolVersion: number;
  uptimeSeconds: number;
  connections: number;
  players: number;
  roomCount: number;
  /** Up to 100 rooms, busiest first. */
  rooms: { id: string; type: string; players: number; tick: number }[];
  totals: RetiredTotals & { roomCrashes: number; closeCodes: Record<string, number> };
  process: { cpuUserMicros: number; cpuSystemMicros: number; rssBytes: number; heapUsedBytes: number };
}

export function buildHealth(rooms: RoomManager, retired: RetiredTotals, connections: number, closeCodes: Map<number, number>, startedAt: number): HealthReport {
  const totals = { ...retired, roomCrashes: rooms.crashes, closeCodes: Object.fromEntries(closeCodes) };
  let players = 0;
  const list: HealthReport['rooms'] = [];
  for (const room of rooms.rooms.values()) {
    players += room.players.length;
    totals.ticks += room.loop.steps;
    totals.overruns += room.loop.overruns;
    totals.droppedSteps += room.loop.droppedSteps;
    totals.snapshotsSent += room.stats.snapshotsSent;
    totals.snapshotsSkipped += room.stats.snapshotsSkipped;
    totals.bytesSent += room.stats.bytesSent;
    totals.inputsStarved += room.stats.inputsStarved;
    totals.inputsShed += room.stats.inputsShed;
    totals.inputsDropped += room.stats.inputsDropped;
    list.push({ id: room.id, type: room.type.name, players: room.players.length, tick: room.tick });
  }
  list.sort((a, b) => b.players - a.players);
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    status: 'ok',
    protocolVersion: PROTOCOL_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    connections,
    players,
    roomCount: rooms.rooms.size,
    rooms: list.slice(0, 100),
    totals,
    process: { cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
  };
}
