/**
 * The database's public reads, attacked from many addresses (127.0.0.10-40): profile and
 * leaderboard reads over HTTP, and CHAT_HISTORY pages old enough to come from the database.
 * Judged by the bystander alone.
 */
import { Agent } from 'node:http';
import { encodeControl } from '../../../shared/protocol/control-messages';
import { MessageType } from '../../../shared/protocol/message-types';
import { type AttackKind, bump, clientFrom, getStatus, MAX_ATTEMPTS, sleep } from '../attack-kit';

/** Where the database reads come from: 127.0.0.10 to 127.0.0.40. */
const MANY_ADDRESSES = Array.from({ length: 31 }, (_, i) => `127.0.0.${10 + i}`);

let lobbyFilled: Promise<void> | undefined;
/**
 * Say enough in the lobby (5 lines from each of 45 guests, each within the chat rate) that
 * its oldest lines fall out of the server's memory (200 kept): older pages then come from
 * the database.
 */
async function fillLobby(url: string): Promise<void> {
  for (let i = 0; i < 45; i++) {
    const c = clientFrom(url, `127.0.0.${50 + i}`, `filler${i}`, { reconnect: false });
    try {
      await c.connect();
      for (let k = 0; k < 5; k++) c.say('lobby', `filler ${i}.${k}`);
      // The PONG comes after the server has handled every line sent before the PING.
      await new Promise<void>((resolve) => {
        const off = c.on('pong', () => {
          off();
          resolve();
        });
        c.ping();
      });
    } catch {
      // a refused filler leaves the lobby a little shorter; the pages still run
    }
    c.close();
  }
}

/**
 * GET /profiles/<id> and /leaderboard?limit=100 on keep-alive sockets, each attacker walking
 * over 127.0.0.10-40 so that every address's read rate (5/s) is spent over and over.
 */
export const profileLeaderboardReads: AttackKind = {
  name: 'profile/leaderboard reads',
  attack: async ({ port, until, index, tally }) => {
    const agents = MANY_ADDRESSES.map((localAddress) => new Agent({ keepAlive: true, maxSockets: 1, localAddress }));
    for (let i = 0; i < MAX_ATTEMPTS * 5 && performance.now() < until; i++) {
      const agent = agents[(index + i) % agents.length]!;
      bump(tally, await getStatus(port, i % 2 ? '/leaderboard?by=kills&limit=100' : `/profiles/user-${index}-${i}`, agent));
    }
    for (const a of agents) a.destroy();
  },
};

/**
 * Join (from 127.0.0.10-40), then ask for CHAT_HISTORY pages older than the lobby's memory
 * (from the database) a hundred at a time; join again when closed. The first attacker fills
 * the lobby first (once per run), and the others wait for it.
 */
export const chatHistoryPages: AttackKind = {
  name: 'chat-history pages',
  attack: async ({ url, until, index, tally }) => {
    await (lobbyFilled ??= fillLobby(url));
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const c = clientFrom(url, MANY_ADDRESSES[index % MANY_ADDRESSES.length]!, 'pager', { reconnect: false });
      try {
        await c.connect();
      } catch {
        bump(tally, 'join refused');
        await sleep(50);
        continue;
      }
      const closed = new Promise<number>((resolve) => c.on('close', (e) => resolve(e.code)));
      c.on('chat', (e) => void (e.kind === 'page' && bump(tally, 'page served')));
      c.on('chatRejected', (r) => bump(tally, `page refused (${r.reason})`));
      const ask = encodeControl(MessageType.ChatHistory, { ch: 'lobby', before: c.chat.oldestId('lobby') ?? '~', limit: 100 });
      for (let k = 0; k < 100 && c.isOpen; k++) c.sendRaw(ask);
      bump(tally, `closed ${await Promise.race([closed, sleep(3000).then(() => 0)])}`);
      c.close();
    }
  },
};
