/**
 * What every kind of `npm run attack` shares: the shape of a kind (its attackers, the aim it
 * must meet, the check it makes once its attackers stop), the addresses the run binds, and the
 * small probes the kinds and the runner use (HTTP requests, WebSockets, SDK clients, /health).
 * Every target is this machine's loopback, and every loop is bounded by `MAX_ATTEMPTS` and the
 * phase's end.
 */
import { type Agent, request } from 'node:http';
import WebSocket from 'ws';
import { arenaGame } from '../../shared/games/arena';
import { encodeControl } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import type { HealthReport } from '../../src/server/health';
import { TickwireClient, type TickwireClientOptions, type WebSocketConstructor } from '../../src/sdk/tickwire-client';

/** Where the bystanders play from, so that the attackers' address limits are not their own. */
export const BYSTANDER_ADDRESS = '127.0.0.2';
/** Most connections one attacker opens in one phase: bounds every loop. */
export const MAX_ATTEMPTS = 2000;

/** The address attacker `index` binds when an attack comes from many addresses: 127.0.0.(100 + index). */
export const attackerAddress = (index: number) => `127.0.0.${100 + index}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Count one more `key` in a tally. */
export const bump = (t: Record<string, number>, k: string) => (t[k] = (t[k] ?? 0) + 1);

/** An arena JOIN as an attacker (no token). */
export const attackerJoin = encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'attacker' });

/** The server under attack: its WebSocket URL and HTTP port. */
export interface AttackTarget {
  url: string;
  port: number;
}

/** What one attacker gets: where to aim, until when, and where to count what it managed. */
export interface AttackContext extends AttackTarget {
  /** When the phase ends, ms (performance.now). */
  until: number;
  /** What the attackers managed, by outcome; shared by all attackers of the phase, and reported. */
  tally: Record<string, number>;
  /** Sockets left open on purpose, for the kind's after-phase check to watch and close. */
  held: WebSocket[];
  /** This attacker's number (0 to --attackers − 1), for the cases that spread over addresses. */
  index: number;
  /** A same-host reverse proxy in front of the game port. */
  proxyPort?: number;
}

/** One attacker: runs until `ctx.until`, counting what it managed in `ctx.tally`. */
export type Attack = (ctx: AttackContext) => Promise<void>;

/** What a kind's after-phase check gets, once every attacker has stopped. */
export interface AfterPhaseContext {
  server: AttackTarget;
  /** When the phase started, ms (performance.now). */
  t0: number;
  /** The server's /health just before the phase. */
  before: HealthReport;
  /** The phase's tally: the check adds what it found. */
  tally: Record<string, number>;
  /** The sockets the attackers left open (`AttackContext.held`). */
  held: WebSocket[];
}

/** One kind of attack, with its aim and its after-phase check beside it where it has them. */
export interface AttackKind {
  /** The name the report prints (and the JSON summary's `attack`). */
  name: string;
  /** What each of the `--attackers` attackers does. */
  attack: Attack;
  /**
   * What the kind must show besides the bystander's rate: a sentence saying what went wrong, or
   * undefined. (The aims of issue 18; the older kinds are judged by the bystander alone.)
   */
  judge?: (tally: Record<string, number>) => string | undefined;
  /** A check made once the attackers stop, adding what it found to the tally. */
  afterPhase?: (ctx: AfterPhaseContext) => Promise<void>;
}

/** The server's /health, asked from the bystander's address. */
export function health(port: number): Promise<HealthReport> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', localAddress: BYSTANDER_ADDRESS }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body) as HealthReport));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP request from `localAddress`; resolves with its status (0 when the connection failed) and body. */
export function httpFrom(
  port: number,
  method: string,
  path: string,
  localAddress: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, localAddress, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.setTimeout(3000, () => req.destroy());
    req.end(body);
  });
}

/** GET `path` on `agent` (its sockets bound to one address): the status, or 'error'. */
export function getStatus(port: number, path: string, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(`HTTP ${res.statusCode}`));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve('error'));
    req.end();
  });
}

/** Open a WebSocket and report how it ended: 'open', an HTTP status, or 'error'. */
export function openWs(url: string): Promise<{ ws: WebSocket; outcome: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 3000 });
    ws.on('error', () => resolve({ ws, outcome: 'error' }));
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      resolve({ ws, outcome: `HTTP ${res.statusCode}` });
    });
    ws.on('open', () => resolve({ ws, outcome: 'open' }));
  });
}

/**
 * Open a socket, misbehave with `offend` (awaited when it returns a promise), count how the
 * server closed it (or how the door refused it), and go again until the phase ends. A socket the
 * server has not closed 2 s after the offence counts as `closed 0`.
 */
export async function offendRepeatedly(
  { url, until, tally }: AttackContext,
  offend: (ws: WebSocket) => void | Promise<void>,
): Promise<void> {
  for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
    const { ws, outcome } = await openWs(url);
    if (outcome !== 'open') {
      bump(tally, outcome);
      await sleep(50);
      continue;
    }
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await offend(ws);
    bump(tally, `closed ${await Promise.race([closed, sleep(2000).then(() => 0)])}`);
    ws.terminate();
  }
}

/** Whether a WebSocket from `localAddress` is let in and welcomed into a room. */
export async function joinsOverWebSocket(url: string, localAddress: string): Promise<boolean> {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 3000, localAddress });
  const welcomed = await new Promise<boolean>((resolve) => {
    ws.on('error', () => resolve(false));
    ws.on('unexpected-response', (req) => {
      req.destroy();
      resolve(false);
    });
    ws.on('open', () => ws.send(attackerJoin));
    ws.on('message', (m: Buffer) => resolve(m[0] === MessageType.Welcome));
    setTimeout(() => resolve(false), 3000);
  });
  ws.terminate();
  return welcomed;
}

/** An SDK WebSocket whose sockets come from `address`. */
export function socketFrom(address: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress: address, perMessageDeflate: false });
    }
  } as unknown as WebSocketConstructor;
}

/**
 * An arena SDK client from `address` that decodes no entities and sends no pings. `more` adds
 * a token, a reservation, or `reconnect: false` (otherwise the SDK's default backoff applies).
 */
export function clientFrom(
  url: string,
  address: string,
  name: string,
  more: Pick<TickwireClientOptions<unknown, unknown, unknown>, 'token' | 'reservation' | 'reconnect'> = {},
) {
  return new TickwireClient({
    url,
    game: arenaGame,
    name,
    WebSocket: socketFrom(address),
    decodeEntities: false,
    pingIntervalMs: 0,
    ...more,
  });
}
