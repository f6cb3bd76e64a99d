/**
 * npm run bench:seat-race -- [BASE_URL] [REQUESTS] [CONCURRENCY] [CAPACITY]
 * Fires REQUESTS (default 10,000) matchmaking requests, CONCURRENCY (500) at a time, at a
 * running server or cluster and checks that no room got more tickets than CAPACITY (its
 * maxPlayers, default 4). Run the server with a reservation time longer than the run, or
 * lapsed holds free their seats and are rightly handed out again, e.g.:
 *   REDIS_URL=redis://127.0.0.1:6379 npm start -- --workers 2 --persistence off --max-players 4 --max-rooms 5000 \
 *     --max-reservations 10000 --per-ip-limits off --reservation-seconds 600
 */
export {};

const [base = 'http://127.0.0.1:8080', n = '10000', c = '500', cap = '4'] = process.argv.slice(2);
const requests = Number(n);
const capacity = Number(cap);
const perRoom = new Map<string, number>();
const perNode = new Map<string, number>();
let failed = 0;
let issued = 0;
const t0 = performance.now();
async function racer(): Promise<void> {
  while (issued < requests) {
    issued++;
    const res = await fetch(`${base}/matchmake?roomType=arena`, { method: 'POST' });
    if (!res.ok) {
      failed++;
      continue;
    }
    const t = (await res.json()) as { roomId: string; nodeId: string };
    perRoom.set(t.roomId, (perRoom.get(t.roomId) ?? 0) + 1);
    perNode.set(t.nodeId, (perNode.get(t.nodeId) ?? 0) + 1);
  }
}
await Promise.all(Array.from({ length: Number(c) }, racer));
const over = [...perRoom.values()].filter((v) => v > capacity).length;
console.log(
  JSON.stringify({
    requests,
    concurrency: Number(c),
    ok: requests - failed,
    failed,
    rooms: perRoom.size,
    roomsOverCapacity: over,
    maxPerRoom: Math.max(...perRoom.values()),
    perNode: Object.fromEntries(perNode),
    seconds: Math.round(performance.now() - t0) / 1000,
  }),
);
process.exit(over === 0 && failed === 0 ? 0 : 1);
