/**
 * The WebRTC signalling kinds (geckos.io's `POST /.wrtc/v2/connections`): offers that never go
 * further, and chunked bodies far over the size limit. Their attackers come from four addresses,
 * 127.0.0.10-13, and each kind checks the server once its attackers stop.
 */
import { request } from 'node:http';
import { type AttackKind, bump, health, joinsOverWebSocket, MAX_ATTEMPTS, sleep } from '../attack-kit';

/** The WebRTC cases' attackers come from this many addresses, 127.0.0.10 and up. */
const WEBRTC_ADDRESSES = 4;
const webrtcAddress = (index: number) => `127.0.0.${10 + (index % WEBRTC_ADDRESSES)}`;
const SIGNAL = '/.wrtc/v2/connections';

/** POST a signalling offer request from `localAddress`; resolves with the HTTP status (0: an error). */
function postOffer(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: SIGNAL, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Stream a chunked body of up to 10 MiB from `localAddress` until the server answers or drops
 * the connection; resolves with the status (0: dropped with no answer) and the bytes written.
 */
function streamChunked(port: number, localAddress: string): Promise<{ status: number; written: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let written = 0;
    let over = false;
    const done = (status: number) => {
      if (over) return;
      over = true;
      req.destroy();
      resolve({ status, written });
    };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: SIGNAL, localAddress, agent: false });
    req.on('response', (res) => done(res.statusCode ?? 0));
    req.on('error', () => done(0));
    req.setTimeout(3000, () => done(0));
    const pump = () => {
      while (!over && written < 10 * 1024 * 1024) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!over) req.end();
    };
    pump();
  });
}

/**
 * WebRTC signalling offers that never go further: no answer, no ICE. Each admitted one holds
 * a native peer connection and its address's slots until the server's connect deadline
 * (10 s); the after-phase check then makes sure an attacker address can still join over WebSocket.
 */
export const webrtcAbandoned: AttackKind = {
  name: 'webrtc abandoned',
  attack: async ({ port, until, tally, index }) => {
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const status = await postOffer(port, webrtcAddress(index));
      bump(tally, status === 0 ? 'error' : `HTTP ${status}`);
      await sleep(status === 200 ? 10 : 100);
    }
  },
  judge: (t) =>
    t['attacker address REFUSED afterwards'] ? 'an attacker address was still locked out after its attempts ended' : undefined,
  /**
   * The abandoned attempts end at the server's connect deadline (10 s): wait for /health to show
   * none pending, then an attacker address must get in over WebSocket.
   */
  afterPhase: async ({ server, t0, tally }) => {
    let pending = -1;
    while (performance.now() - t0 < 30_000) {
      await sleep(1100);
      pending = (await health(server.port)).webrtc?.attemptsPending ?? -1;
      if (pending === 0) break;
    }
    const since = ((performance.now() - t0) / 1000).toFixed(1);
    tally[pending === 0 ? `none pending ${since} s after the first` : `${pending} still pending after 30 s`] = 1;
    const joined = await joinsOverWebSocket(server.url, webrtcAddress(0));
    tally[joined ? 'attacker address joined over WebSocket afterwards' : 'attacker address REFUSED afterwards'] = 1;
  },
};

/** Chunked signalling bodies of up to 10 MiB, one after another, each from its own connection. */
export const webrtcChunkedBody: AttackKind = {
  name: 'webrtc chunked body',
  attack: async ({ port, until, tally, index }) => {
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const { status, written } = await streamChunked(port, webrtcAddress(index));
      bump(tally, status === 0 ? 'dropped with no answer' : `HTTP ${status}`);
      tally['MiB queued by the clients'] = Math.round(((tally['MiB queued by the clients'] ?? 0) + written / 1048576) * 10) / 10;
      // Under the address's request rate (20/s, shared by the attackers on it): the 413 is what is measured.
      await sleep(250);
    }
  },
  /** How many bodies the server refused, and how much of each it read first (/health's counters). */
  afterPhase: async ({ server, before, tally }) => {
    await sleep(1100); // /health is cached for a second
    const [b, a] = [before.webrtc, (await health(server.port)).webrtc];
    const refused = (a?.bodiesRefused ?? 0) - (b?.bodiesRefused ?? 0);
    const read = (a?.bodyBytesRead ?? 0) - (b?.bodyBytesRead ?? 0);
    tally['bodies refused by the server'] = refused;
    tally['KiB the server read per refused body'] = refused > 0 ? Math.round(read / refused / 1024) : 0;
  },
};
