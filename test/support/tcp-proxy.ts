import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of `target`, for outage tests: `cut()` ends every
 * open connection at once (both sides reset, as when a network path or the server dies
 * mid-query), and `refuse(true)` closes each new connection as soon as it arrives (the
 * database unreachable). `connections` counts the connections tried, to see retries.
 */
export async function tcpProxy(target: { host: string; port: number }) {
  const open = new Set<Socket>();
  let refusing = false;
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      for (const s of [client, upstream]) {
        open.delete(s);
        if (!s.destroyed) s.resetAndDestroy();
      }
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    /** Connections tried so far (refused ones included). */
    get connections() {
      return connections;
    },
    /** Open connections now (each proxied connection is two sockets). */
    get open() {
      return open.size / 2;
    },
    cut(): void {
      for (const s of [...open]) s.resetAndDestroy();
      open.clear();
    },
    refuse(on: boolean): void {
      refusing = on;
    },
    close(): Promise<void> {
      this.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type TcpProxy = Awaited<ReturnType<typeof tcpProxy>>;
