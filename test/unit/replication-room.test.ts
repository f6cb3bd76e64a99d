import { SPARSE_ACK_INTERVAL_MS } from '../../src/sdk/input-send-policy';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { arenaGame, ArenaGlobalField, ArenaKind, PlayerField } from '../../shared/games/arena';
import { WORLD_H, WORLD_W } from '../../shared/games/arena/arena-rules';
import type { ArenaState } from '../../shared/games/arena';
import type { PlayerJoinedMessage, WelcomeMessage } from '../../shared/protocol/control-messages';
import { readGlobalsHeader } from '../../shared/protocol/globals-message';
import { MessageType } from '../../shared/protocol/message-types';
import { CellDecoder } from '../../shared/replication/cell-codec';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { EntityTable } from '../../shared/replication/entity-table';
import { everyoneSchema } from '../../shared/replication/everyone-schema';
import { Room } from '../../src/rooms/room';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { memoryServer } from '../support/memory-harness';
import { MemoryClient } from '../support/memory-client';

const defaults = { tickRate: 30, sendRate: 30, maxPlayers: 200, resumeWindowMs: 20_000 };

const FAR = { x: WORLD_W - 1000, y: WORLD_H - 1000 };

/**
 * An arena room with interest on (a 2000-unit view) and two players far apart: the first at
 * (1000, 1000), the second at the opposite corner. `extra` adds room type settings.
 */
function twoApart(names: [string, string], extra: Partial<Parameters<typeof defineRoomType>[0]> = {}) {
  const interest = { width: WORLD_W, height: WORLD_H, viewWidth: 2000, viewHeight: 2000 };
  const room = new Room(
    'r',
    resolveRoomType(defineRoomType({ game: arenaGame, seed: () => 5, replication: { interest }, ...extra }), defaults),
  );
  const clients = [new MemoryClient(), new MemoryClient()];
  const slots = names.map((name, i) => room.join(clients[i], name));
  const players = slots.map((slot) => (room.state as ArenaState).players.find((p) => p.id === slot.id)!);
  [players[0].x, players[0].y, players[1].x, players[1].y] = [1000, 1000, FAR.x, FAR.y];
  return { room, clients, slots, players };
}

describe('replication in a room', () => {
  it('sends everyone the scores of players outside their view, in GLOBALS', () => {
    // a in one corner, b in the other with a score.
    const {
      room,
      clients: [a],
      slots: [sa, sb],
      players: [, pb],
    } = twoApart(['a', 'b']);
    pb.score = 7;
    for (let i = 0; i < 20; i++) room.step();
    // a's snapshots hold only a.
    const last = a.snapshots().at(-1)!;
    expect(last.baselineTick).toBe(0); // a never acknowledged: full snapshots
    const seen = new EntityTable(arenaGame.entitySchema);
    new CellDecoder(arenaGame.entitySchema, room.replicator.interestGeometry!).decode(new ByteReader(last.body), null, seen, last.tick);
    expect(Array.from(seen.ids.subarray(0, seen.count))).toEqual([sa.id]);
    // …but GLOBALS, applied in order, give a both scores.
    const globalsCodec = new DeltaCodec(everyoneSchema(arenaGame.entitySchema)!);
    let globals = new EntityTable(everyoneSchema(arenaGame.entitySchema)!);
    for (const bytes of a.ofType(MessageType.Globals)) {
      const r = new ByteReader(bytes);
      r.u8();
      const h = readGlobalsHeader(r, { tick: 0, full: false });
      const next = new EntityTable(everyoneSchema(arenaGame.entitySchema)!);
      globalsCodec.decode(r, h.full ? null : globals, next);
      globals = next;
    }
    const row = globals.indexOf(sb.id);
    expect(row).toBeGreaterThanOrEqual(0);
    expect(globals.kinds[row]).toBe(ArenaKind.Player);
    expect(globals.get(row, ArenaGlobalField.Score)).toBe(7);
    // Sent only when something changed: at most one join-time full plus a change or two.
    expect(a.ofType(MessageType.Globals).length).toBeLessThanOrEqual(3);
  });

  it('a viewCenter hook places a view where the room type says (a spectator camera)', () => {
    // Player "cam" (in one corner) watches the far corner; everyone else sees around themselves.
    const {
      room,
      clients: [cam, other],
      slots: [sCam, sOther],
    } = twoApart(['cam', 'other'], {
      viewCenter: (_room, player, out) => {
        if (player.name !== 'cam') return false;
        out.x = FAR.x;
        out.y = FAR.y;
        return true;
      },
    });
    room.step();
    const decode = (c: MemoryClient) => {
      const t = new EntityTable(arenaGame.entitySchema);
      const last = c.snapshots().at(-1)!;
      new CellDecoder(arenaGame.entitySchema, room.replicator.interestGeometry!).decode(new ByteReader(last.body), null, t, last.tick);
      return Array.from(t.ids.subarray(0, t.count));
    };
    // The camera's view holds the far corner's player and, as always, its own entity.
    expect(decode(cam)).toEqual([sCam.id, sOther.id]);
    // The other player, without the hook, sees only itself.
    expect(decode(other)).toEqual([sOther.id]);
  });

  it('pages the roster of a big room after a small WELCOME, and marks the last page', () => {
    const room = new Room('r', resolveRoomType(defineRoomType({ game: arenaGame, seed: () => 5, maxPlayers: 200 }), defaults));
    for (let i = 0; i < 150; i++) room.join(new MemoryClient(), `p${i}`);
    room.step(); // the joins are announced
    const late = new MemoryClient();
    room.join(late, 'late');
    const welcome = late.control<WelcomeMessage>(MessageType.Welcome)[0];
    expect(welcome.players.length).toBe(64);
    expect(welcome.rosterSize).toBe(151);
    for (let i = 0; i < 3; i++) room.step();
    const pages = late.control<PlayerJoinedMessage>(MessageType.PlayerJoined);
    const known = new Set(welcome.players.map(([id]) => id));
    for (const page of pages) for (const [id] of page.players) known.add(id);
    expect(known.size).toBe(151);
    expect(pages.filter((p) => p.rosterEnd).length).toBe(1);
    expect(pages.every((p) => p.players.length <= 64)).toBe(true);
  });

  it('refuses a client whose game schema differs with 4000, naming both codecs', async () => {
    const m = memoryServer();
    const other = {
      ...arenaGame,
      entitySchema: {
        kinds: [
          { ...arenaGame.entitySchema.kinds[0], fields: arenaGame.entitySchema.kinds[0].fields.slice(0, 5) },
          arenaGame.entitySchema.kinds[1],
        ],
      },
    };
    const client = m.client('wrong', { game: other });
    const joined = client.connect().catch((err: unknown) => err);
    await m.tick(2);
    expect(await joined).toMatchObject({ code: 4000 });
    expect(client.closeEvent!.reason).toMatch(
      /snapshot codec tw-delta\/1\+[0-9a-f]{8} does not match room type "arena"'s tw-delta\/1\+[0-9a-f]{8}/,
    );
    const ok = m.client('right');
    const welcome = ok.connect();
    await m.tick(2);
    expect((await welcome).codec).toBe(new DeltaCodec(arenaGame.entitySchema).name);
    await m.server.close();
  });

  it('an SDK client decodes deltas against its ring and acknowledges without sending input', async () => {
    const m = memoryServer();
    const client = m.client('idle');
    void client.connect();
    await m.tick(30);
    // No input at all: acks still flowed (ACK messages), so snapshots became deltas. The link
    // is in order, so they are thinned to one per SPARSE_ACK_INTERVAL_MS: about 7 in a second.
    expect(client.stats.inputsSent).toBe(0);
    expect(client.stats.acksSent).toBeGreaterThanOrEqual(5);
    expect(client.stats.acksSent).toBeLessThanOrEqual(Math.ceil(1000 / SPARSE_ACK_INTERVAL_MS) + 1);
    const room = [...m.server.rooms.rooms.values()][0];
    expect(room.stats.fullSnapshots).toBeLessThanOrEqual(2);
    const row = client.latest.indexOf(client.playerId);
    const me = (room.state as ArenaState).players[0];
    expect(client.latest.get(row, PlayerField.X)).toBe(me.x);
    await m.server.close();
  });
});
