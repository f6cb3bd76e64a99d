import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TrafficCounters } from '../session/session';
import type { HealthReport } from './health';
import type { WriteBatcherStats } from '../persistence/write-batcher';

/** What the metrics read at scrape time. */
export interface MetricsSource {
  health(): HealthReport;
  readonly traffic: TrafficCounters;
  /** Open connections by transport ('ws', 'webrtc', 'memory'). */
  connectionsByTransport(): Record<string, number>;
}

/** Tick duration buckets, seconds: from well under a millisecond to a 30 Hz tick's whole budget and past it. */
const TICK_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.25];

/**
 * The server's Prometheus metrics (prom-client), served at `/metrics`. Nearly everything is read
 * when scraped, from counters the server keeps anyway (the `/health` totals, the session
 * traffic counters), so the hot path pays nothing. The one exception is the tick duration:
 * one histogram observation per room tick. Labels stay few: the room type, the transport, the
 * close code. No room or player ids.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly tickDuration: Histogram<'room_type'>;
  private readonly tickTimers = new Map<string, { observe(seconds: number): void }>();

  constructor(source: MetricsSource) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.tickDuration = new Histogram({
      name: 'tickwire_tick_duration_seconds',
      help: 'Time one room tick took: inputs, step, replication and sends.',
      labelNames: ['room_type'],
      buckets: TICK_BUCKETS,
      registers: [r],
    });
    // One scrape reads the health report once, however many metrics use it (text() clears it).
    const report = (): HealthReport => (this.scrape ??= source.health());
    const gauge = (name: string, help: string, read: (h: HealthReport) => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read(report()));
        },
      });
    // A running total as a counter: set to the total at each scrape (the totals only grow).
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const total = (name: string, help: string, read: (h: HealthReport) => number) => counter(name, help, () => read(report()));
    gauge('tickwire_players', 'Players in rooms, detached ones included.', (h) => h.players);
    gauge('tickwire_players_detached', 'Players whose link is down, seats held for a resume.', (h) => h.detachedPlayers);
    gauge('tickwire_rooms', 'Rooms running.', (h) => h.roomCount);
    gauge('tickwire_reserved_seats', 'Seats held for matchmade players on their way (unclaimed reservations).', (h) => h.reservedSeats);
    new Gauge({
      name: 'tickwire_connections',
      help: 'Open client connections, by transport.',
      labelNames: ['transport'],
      registers: [r],
      collect() {
        this.reset();
        for (const [transport, n] of Object.entries(source.connectionsByTransport())) this.set({ transport }, n);
      },
    });
    total('tickwire_ticks_total', 'Room ticks run.', (h) => h.totals.ticks);
    total('tickwire_tick_overruns_total', 'Times a room could not catch up within its bound.', (h) => h.totals.overruns);
    total('tickwire_dropped_steps_total', 'Ticks dropped by overruns.', (h) => h.totals.droppedSteps);
    total('tickwire_snapshots_sent_total', 'Snapshot messages sent.', (h) => h.totals.snapshotsSent);
    total('tickwire_snapshots_skipped_total', 'Snapshots not sent because a client was backed up.', (h) => h.totals.snapshotsSkipped);
    total('tickwire_snapshot_bytes_total', 'Snapshot bytes sent.', (h) => h.totals.bytesSent);
    total('tickwire_full_snapshots_total', 'Snapshots sent whole (no baseline).', (h) => h.totals.fullSnapshots);
    total('tickwire_budget_bites_total', 'Snapshots the bandwidth budget trimmed.', (h) => h.totals.budgetBites);
    total('tickwire_inputs_starved_total', 'Player-ticks with no input for them.', (h) => h.totals.inputsStarved);
    total('tickwire_inputs_late_total', 'Inputs that arrived after their tick (refused).', (h) => h.totals.inputsLate);
    total('tickwire_inputs_too_early_total', 'Inputs stamped too far ahead (dropped).', (h) => h.totals.inputsTooEarly);
    total('tickwire_drops_total', 'Links that dropped with the seat held.', (h) => h.totals.drops);
    total('tickwire_resumes_total', 'Seats taken back on a new link.', (h) => h.totals.resumes);
    total('tickwire_room_crashes_total', 'Rooms disposed because their code threw.', (h) => h.totals.roomCrashes);
    total(
      'tickwire_webrtc_datagrams_dropped_total',
      'Snapshots dropped because a data channel was full.',
      (h) => h.webrtc?.datagramsDropped ?? 0,
    );
    gauge('tickwire_webrtc_attempts_pending', 'WebRTC signalling attempts admitted and waiting for their channel.', (h) =>
      h.webrtc ? h.webrtc.attemptsPending : 0,
    );
    total(
      'tickwire_webrtc_attempts_abandoned_total',
      'WebRTC attempts given up (ICE failed, the client closed it, the connect deadline passed).',
      (h) => h.webrtc?.attemptsAbandoned ?? 0,
    );
    total('tickwire_webrtc_bodies_refused_total', 'WebRTC signalling bodies refused for size (413).', (h) => h.webrtc?.bodiesRefused ?? 0);
    total('tickwire_chat_lines_total', 'Chat lines taken (room and lobby).', (h) => h.chat?.linesIn ?? 0);
    total(
      'tickwire_chat_lines_rejected_total',
      'Chat lines refused: over the rate, against the text rules, lobby unreachable.',
      (h) => h.chat?.linesRejected ?? 0,
    );
    total('tickwire_notifications_sent_total', 'Per-user notifications sent (stored, with a database).', (h) => h.notifications?.sent ?? 0);
    // Summed over the stores: profiles, chat history, notification reads.
    const stores = (h: HealthReport, read: (s: WriteBatcherStats) => number) =>
      h.data ? read(h.data.profiles) + read(h.data.chat) + read(h.data.notificationReads) : 0;
    total('tickwire_db_write_failures_total', 'Batched database writes that failed (kept and retried after a backoff).', (h) =>
      stores(h, (s) => s.failures),
    );
    total(
      'tickwire_db_writes_dropped_total',
      'Queued database writes given up (outage past maxPending, or close out of time); each is logged.',
      (h) => stores(h, (s) => s.dropped),
    );
    gauge('tickwire_db_writes_pending', 'Database writes waiting: queued, or in a batch being retried.', (h) =>
      stores(h, (s) => s.pending),
    );
    gauge('tickwire_db_write_retry_ms', 'The longest wait before a failing store tries again, ms (0: every store is writing).', (h) =>
      h.data ? Math.max(h.data.profiles.retryInMs, h.data.chat.retryInMs, h.data.notificationReads.retryInMs) : 0,
    );
    const traffic = (name: string, help: string, read: (t: TrafficCounters) => number) => counter(name, help, () => read(source.traffic));
    traffic('tickwire_messages_in_total', 'Messages received from clients.', (t) => t.messagesIn);
    traffic('tickwire_bytes_in_total', 'Payload bytes received from clients.', (t) => t.bytesIn);
    traffic('tickwire_messages_out_total', 'Messages sent to clients.', (t) => t.messagesOut);
    traffic('tickwire_bytes_out_total', 'Payload bytes sent to clients.', (t) => t.bytesOut);
    new Counter({
      name: 'tickwire_closes_total',
      help: "Connections closed, by close code (the server's own code when it closed first).",
      labelNames: ['code'],
      registers: [r],
      collect() {
        this.reset();
        for (const [code, n] of Object.entries(report().totals.closeCodes)) this.inc({ code }, n);
      },
    });
  }

  /** The tick-duration histogram of one room type, for its rooms to observe once a tick. */
  tickTimer(roomType: string): { observe(seconds: number): void } {
    let t = this.tickTimers.get(roomType);
    if (!t) this.tickTimers.set(roomType, (t = this.tickDuration.labels(roomType)));
    return t;
  }

  /** The health report of the scrape under way. */
  private scrape: HealthReport | undefined;

  /** The exposition text. */
  async text(): Promise<string> {
    this.scrape = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.scrape = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
