import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort } from './redis-server';

/** The shipped configuration: what the tests run is what operators get. */
export const HAPROXY_CONFIG = fileURLToPath(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url));

/**
 * Debian's `haproxy` running `deploy/haproxy/haproxy.cfg` on a free port of 127.0.0.1, TLS with a
 * certificate for 127.0.0.1 made here by `openssl`, in front of `nodes` (host:port of n1, n2, n3).
 * `.ci/run` installs both; without them this fails, saying what is missing.
 */
export async function startHaproxy(nodes: [string, string, string]): Promise<{
  port: number;
  /** The self-signed certificate, for clients to trust. */
  ca: string;
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-haproxy-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  writeFileSync(join(dir, 'both.pem'), ca + readFileSync(join(dir, 'key.pem'), 'utf8'));
  const port = await freePort();
  let child: ChildProcess;
  let stderr = '';
  try {
    child = spawn('haproxy', ['-db', '-f', HAPROXY_CONFIG], {
      env: {
        ...process.env,
        TICKWIRE_TLS_BIND: `127.0.0.1:${port}`,
        TICKWIRE_TLS_PEM: join(dir, 'both.pem'),
        TICKWIRE_N1: nodes[0],
        TICKWIRE_N2: nodes[1],
        TICKWIRE_N3: nodes[2],
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new Error('haproxy could not be started: install Debian’s haproxy (.ci/run does)', { cause: err });
  }
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => (stderr += `\n${err.message}: install Debian’s haproxy (.ci/run does)`));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i >= 100 || child.exitCode !== null || child.signalCode !== null) throw new Error(`haproxy did not come up: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    ca,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A `ws` WebSocket that trusts `ca` (the SDK's WebSocket option takes the class). */
export function trustingWebSocket(ca: string, localAddress?: string, tlsSessions?: TlsSessionCache): unknown {
  // With a cache: each handshake offers the last session ticket the proxy gave (a resumption, as
  // a browser does for a host it has just talked to), and keeps the new one.
  const createConnection = tlsSessions
    ? (o: ConnectionOptions) => {
        const host = o.host ?? '';
        const socket = tlsConnect({ ...o, servername: o.servername ?? (isIP(host) ? '' : host), session: tlsSessions.session });
        socket.on('session', (ticket: Buffer) => (tlsSessions.session = ticket));
        return socket;
      }
    : undefined;
  return class extends WebSocket {
    constructor(url: string) {
      super(url, {
        ca,
        localAddress,
        perMessageDeflate: false,
        ...(createConnection ? { createConnection } : {}),
      } as WebSocket.ClientOptions);
    }
  };
}

/** One client's TLS session ticket, kept between its connections (see {@link trustingWebSocket}). */
export interface TlsSessionCache {
  session?: Buffer;
}

/** A fetch for the SDK's `matchmake` that trusts `ca` (POST, JSON, small bodies). */
export function trustingFetch(ca: string, localAddress?: string): typeof fetch {
  return ((input: string | URL, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(
        new URL(String(input)),
        { method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, ca, localAddress },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(new Response(body, { status: res.statusCode ?? 502 })));
        },
      );
      req.on('error', reject);
      req.end();
    })) as typeof fetch;
}
