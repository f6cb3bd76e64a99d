/**
 * Matchmaking holds: `POST /matchmake` from one address per attacker (127.0.0.100 and up) at the
 * address's allowed rate, never joining. Its aim: at most 150 seats held and 8 rooms made, and a
 * bystander from another address still matchmakes and joins.
 */
import type { MatchmakeTicket } from '../../../src/sdk/matchmake';
import {
  type AttackKind,
  attackerAddress,
  BYSTANDER_ADDRESS,
  bump,
  clientFrom,
  health,
  httpFrom,
  MAX_ATTEMPTS,
  sleep,
} from '../attack-kit';

/**
 * Each attacker from its own address asks POST /matchmake at the address's allowed request
 * rate and never joins. Attacker 0 also records the server's peak of held seats and rooms, and
 * half-way through a bystander (its own address) matchmakes, joins and waits for a snapshot.
 */
export const matchmakingHolds: AttackKind = {
  name: 'matchmaking holds',
  attack: async ({ port, url, until, tally, index }) => {
    const address = attackerAddress(index);
    const watch =
      index === 0
        ? (async () => {
            let seats = 0;
            let rooms = 0;
            while (performance.now() < until) {
              const h = await health(port);
              seats = Math.max(seats, h.reservedSeats);
              rooms = Math.max(rooms, h.roomCount);
              await sleep(250);
            }
            tally['peak seats held'] = seats;
            tally['peak rooms'] = rooms;
          })()
        : undefined;
    const late =
      index === 0
        ? (async () => {
            await sleep((until - performance.now()) / 2);
            const answer = await httpFrom(port, 'POST', '/matchmake?roomType=arena', BYSTANDER_ADDRESS);
            const ticket = answer.status === 200 ? (JSON.parse(answer.text) as MatchmakeTicket) : undefined;
            const c = clientFrom(url, BYSTANDER_ADDRESS, 'late', { reservation: ticket?.reservation });
            const joined = ticket
              ? await c
                  .connect()
                  .then(() => new Promise<boolean>((r) => c.on('snapshot', () => r(true))))
                  .catch(() => false)
              : false;
            tally[joined ? 'bystander matchmade, joined and got a snapshot' : 'bystander could NOT matchmake and join'] = 1;
            c.close();
          })()
        : undefined;
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      bump(tally, `HTTP ${(await httpFrom(port, 'POST', '/matchmake?roomType=arena', address)).status}`);
      await sleep(50); // 20 a second: the per-address HTTP rate
    }
    await Promise.all([watch, late]);
  },
  judge: (t) =>
    (t['peak seats held'] ?? Infinity) > 150
      ? `held ${t['peak seats held']} seats (aim ≤ 150)`
      : (t['peak rooms'] ?? Infinity) > 8
        ? `made ${t['peak rooms']} rooms (aim ≤ 8)`
        : t['bystander matchmade, joined and got a snapshot'] !== 1
          ? 'the bystander could not matchmake and join'
          : undefined,
};
