import { afterEach, describe, expect, it } from 'vitest';
import { Button } from '../../shared/games/arena';
import { flush, nextEvent, startServer } from '../support/server-harness';

/**
 * Prometheus text format, strictly: every line a comment or `name{labels} value`, the value as
 * Prometheus reads it (Go's ParseFloat: NaN in any case, ±Inf). Returns the samples.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]?Inf)$/.exec(
        line,
      ); // ParseFloat's spellings
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

async function scrape(port: number, headers: Record<string, string> = {}): Promise<{ status: number; samples: Map<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, samples: res.status === 200 ? parsePrometheus(text) : new Map() };
}

describe('/metrics (Prometheus, prom-client)', () => {
  let h: Awaited<ReturnType<typeof startServer>>;
  afterEach(() => h?.close());

  it('parses as Prometheus text and moves when players play', async () => {
    h = await startServer({ admin: { port: 0 } });
    const before = await scrape(h.server.adminPort);
    expect(before.status).toBe(200);
    expect(before.samples.get('tickwire_players')).toBe(0);
    expect(before.samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(before.samples.has('process_resident_memory_bytes')).toBe(true);
    const a = h.client('a');
    const b = h.client('b');
    await a.connect();
    await b.connect();
    for (let i = 0; i < 10; i++) {
      a.sendInput({ buttons: Button.Right, aim: 0 });
      await flush(a);
      const snap = nextEvent(b, 'snapshot');
      h.tick();
      await snap;
    }
    const after = (await scrape(h.server.adminPort)).samples;
    expect(after.get('tickwire_players')).toBe(2);
    expect(after.get('tickwire_rooms')).toBe(1);
    expect(after.get('tickwire_connections{transport="ws"}')).toBe(2);
    expect(after.get('tickwire_ticks_total')).toBe(10);
    expect(after.get('tickwire_tick_duration_seconds_count{room_type="arena"}')).toBe(10);
    expect(after.get('tickwire_snapshots_sent_total')).toBe(20);
    expect(after.get('tickwire_messages_in_total')! - before.samples.get('tickwire_messages_in_total')!).toBeGreaterThanOrEqual(
      10 + 10 + 2,
    ); // inputs, pings, joins
    expect(after.get('tickwire_bytes_out_total')).toBeGreaterThan(0);
    expect(after.get('tickwire_chat_lines_total')).toBe(0);
    a.say('room', 'counted');
    await flush(a);
    const chatted = (await scrape(h.server.adminPort)).samples;
    expect(chatted.get('tickwire_chat_lines_total')).toBe(1);
    expect(chatted.get('tickwire_db_writes_pending')).toBe(0); // no database here
    a.close();
    await h.leaves(1);
    const closed = (await scrape(h.server.adminPort)).samples;
    expect(closed.get('tickwire_closes_total{code="1000"}')).toBe(1);
  });

  it('is served on the admin port to this host, and never on the game port without the token', async () => {
    h = await startServer({ admin: { port: 0 } });
    expect((await scrape(h.server.adminPort)).status).toBe(200);
    // The game port's peer is 127.0.0.1 here too, as every request through a same-host proxy is.
    const refused = await fetch(`http://127.0.0.1:${h.server.port}/metrics`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(`use the admin port (127.0.0.1:${h.server.adminPort})`);
  });

  it('is for operators: with a token set, only with the token', async () => {
    h = await startServer({ operatorToken: 'op-secret-0123456789' });
    expect((await scrape(h.server.port)).status).toBe(403);
    expect((await scrape(h.server.port, { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await scrape(h.server.port, { authorization: 'Bearer op-secret-0123456789' })).status).toBe(200);
    const byQuery = await fetch(`http://127.0.0.1:${h.server.port}/metrics?token=op-secret-0123456789`);
    expect(byQuery.status).toBe(200);
  });
});
