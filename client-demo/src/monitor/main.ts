import uPlot from 'uplot';
import type { MonitorData } from '../../../src/server/monitor-data';

/**
 * The operator's monitor: reads `/monitor/data` every second (with the page's `?token=`, if
 * any), keeps the last five minutes, and draws tick time, bandwidth and players with uPlot,
 * the rooms with their players (transport, round trip, input cushion), and close codes.
 * Read-only.
 */

const POLL_MS = 1000;
/** Five minutes of one-second samples. */
const KEEP = 300;

const token = new URLSearchParams(location.search).get('token');
const dataUrl = `./monitor/data${token ? `?token=${encodeURIComponent(token)}` : ''}`;
const $ = (id: string) => document.getElementById(id)!;

const times: number[] = [];
const tickMs = new Map<string, number[]>();
const kbOut: number[] = [];
const kbIn: number[] = [];
const players: number[] = [];
let last: MonitorData | undefined;
let charts: { tick: uPlot; bw: uPlot; players: uPlot } | undefined;

function chart(el: HTMLElement, series: uPlot.Series[], data: uPlot.AlignedData): uPlot {
  return new uPlot(
    {
      width: 420,
      height: 180,
      series: [{}, ...series],
      axes: [
        { stroke: '#8b98a5', grid: { stroke: '#1b2430' } },
        { stroke: '#8b98a5', grid: { stroke: '#1b2430' } },
      ],
      legend: { show: true },
    },
    data,
    el,
  );
}

const COLORS = ['#8ecae6', '#ffb703', '#90be6d', '#c77dff', '#ef476f'];

function draw(): void {
  const types = [...tickMs.keys()];
  const tickData: uPlot.AlignedData = [times, ...types.map((t) => tickMs.get(t)!)];
  if (!charts || charts.tick.series.length !== types.length + 1) {
    for (const id of ['chart-tick', 'chart-bw', 'chart-players']) $(id).replaceChildren();
    charts = {
      tick: chart(
        $('chart-tick'),
        types.map((t, i) => ({ label: t, stroke: COLORS[i % COLORS.length] })),
        tickData,
      ),
      bw: chart(
        $('chart-bw'),
        [
          { label: 'out', stroke: COLORS[0] },
          { label: 'in', stroke: COLORS[1] },
        ],
        [times, kbOut, kbIn],
      ),
      players: chart($('chart-players'), [{ label: 'players', stroke: COLORS[2] }], [times, players]),
    };
    return;
  }
  charts.tick.setData(tickData);
  charts.bw.setData([times, kbOut, kbIn]);
  charts.players.setData([times, players]);
}

/** Text for HTML: player names come from players. */
function esc(text: string | number | null): string {
  const s = text === null ? '–' : String(text);
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cell(text: string | number | null): string {
  return `<td>${esc(text)}</td>`;
}

function render(d: MonitorData): void {
  $('rooms').innerHTML =
    d.rooms.length === 0
      ? '<p>no rooms</p>'
      : d.rooms
          .map(
            (r) =>
              `<div class="room"><h3>${esc(r.id)} · ${esc(r.type)} · tick ${r.tick} · ${r.tickMs.toFixed(3)} ms · ${r.players.length} players</h3>` +
              `<table><tr><th>id</th><th>name</th><th>link</th><th>rtt ms</th><th>cushion ms</th></tr>` +
              r.players
                .map(
                  (p) =>
                    `<tr class="${p.transport === 'detached' ? 'detached' : ''}">${cell(p.id)}${cell(p.name)}${cell(p.transport)}${cell(p.rttMs)}${cell(p.inputLeadMs)}</tr>`,
                )
                .join('') +
              `</table></div>`,
          )
          .join('');
  const codes = Object.entries(d.totals.closeCodes).sort((a, b) => b[1] - a[1]);
  $('codes').innerHTML = `<tr><th>code</th><th>closes</th></tr>` + codes.map(([c, n]) => `<tr>${cell(c)}${cell(n)}</tr>`).join('');
  $('status').textContent =
    `${d.connections} connections · ${d.rooms.length} rooms · rss ${(d.process.rssBytes / 2 ** 20).toFixed(0)} MiB · ${new Date(d.at).toLocaleTimeString()}`;
}

async function poll(): Promise<void> {
  try {
    const res = await fetch(dataUrl, { cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    const d = (await res.json()) as MonitorData;
    const seconds = last ? (d.at - last.at) / 1000 : 0;
    times.push(d.at / 1000);
    for (const r of d.rooms)
      if (!tickMs.has(r.type))
        tickMs.set(
          r.type,
          times.slice(0, -1).map(() => Number.NaN),
        );
    for (const [type, series] of tickMs) {
      const rooms = d.rooms.filter((r) => r.type === type);
      series.push(rooms.length ? rooms.reduce((s, r) => s + r.tickMs, 0) / rooms.length : Number.NaN);
    }
    kbOut.push(last && seconds > 0 ? (d.traffic.bytesOut - last.traffic.bytesOut) / 1000 / seconds : 0);
    kbIn.push(last && seconds > 0 ? (d.traffic.bytesIn - last.traffic.bytesIn) / 1000 / seconds : 0);
    players.push(d.rooms.reduce((s, r) => s + r.players.length, 0));
    if (times.length > KEEP) {
      for (const a of [times, kbOut, kbIn, players, ...tickMs.values()]) a.shift();
    }
    last = d;
    render(d);
    draw();
    (window as unknown as { __monitor?: MonitorData; __monitorSamples?: number }).__monitor = d;
    (window as unknown as { __monitorSamples?: number }).__monitorSamples = times.length;
  } catch (err) {
    $('status').textContent = `cannot read the server: ${(err as Error).message}`;
  }
  setTimeout(poll, POLL_MS);
}

void poll();
