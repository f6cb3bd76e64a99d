import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError } from '../auth/auth-error';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Clock } from '../loop/clock';
import {
  cursorOf,
  LEADERBOARD_KEYS,
  publicProfile,
  type LeaderboardCursor,
  type LeaderboardKey,
  type ProfileStore,
} from '../profiles/profile-store';
import type { FrontDoor } from './front-door';
import { sendJson, sendText } from './http-reply';

/** Most entries one leaderboard page holds. */
export const MAX_BOARD_PAGE = 100;
/**
 * Deepest `offset` a leaderboard page may start at: the database walks past every skipped row,
 * so deeper pages go by cursor (`after`), which costs the same at any depth.
 */
export const MAX_BOARD_OFFSET = 1000;
/** Longest user id in a path or a cursor: a token's `sub` is at most this long. */
const MAX_USER_ID = 256;
/**
 * Longest base64url user id in a cursor: 256 UTF-16 units are at most 768 UTF-8 bytes (3 per
 * unit; a 4-byte character is 2 units), 1024 characters of base64.
 */
const MAX_CURSOR_ID = 1024;
/** Longest `after` cursor: a rank (9 digits), a value (11), two dots and the id. */
const MAX_CURSOR = 22 + MAX_CURSOR_ID;

/** What the profile routes need from the server. */
export interface ProfileRoutesHost {
  readonly profiles: ProfileStore;
  /** Verifies an owner's bearer token; undefined when the server has no auth (no profile has an owner). */
  readonly auth: TokenVerifier | undefined;
  /** The per-address read rate and the cap on reads in flight. */
  readonly frontDoor: FrontDoor;
  readonly clock: Clock;
  /** A warning about `ip`, sampled per address. */
  warn(ip: string, fields: Record<string, unknown>, msg: string): void;
}

/**
 * The profile API (GET, JSON); every request costs one of the address's database reads
 * (`dataReadsPerSecondPerIp`) and, while it runs, one of the server's (`maxDataReadsInFlight`):
 * - `/profiles/<userId>`: one profile, or 404. Public fields for anyone; every field (when it
 *   was made and last seen) for its owner, who sends `Authorization: Bearer <token>` whose
 *   `sub` is `userId`. A token that does not verify is a 401, never a quiet public answer.
 * - `/leaderboard?by=kills|bestScore|matches&limit=10` and `&offset=0` (≤ 1000) or
 *   `&after=<next>` (the `next` of the page before): ranked public profiles, `rank` from 1,
 *   and `next`, the cursor of the following page (null at the end).
 */
export function handleProfileRequest(host: ProfileRoutesHost, req: IncomingMessage, res: ServerResponse, path: string, ip: string): void {
  if (req.method !== 'GET') return sendText(res, 405, 'method not allowed: GET', { allow: 'GET' });
  const door = host.frontDoor;
  const waitMs = door.admitDataRead(ip, host.clock.now());
  if (waitMs > 0) {
    host.warn(ip, { ip, path: path.slice(0, 64) }, 'database read over the per-address rate');
    return sendText(res, 429, `too many profile and leaderboard reads from ${ip}: at most ${door.dataReadRate}/s`, {
      'retry-after': String(Math.ceil(waitMs / 1000)),
    });
  }
  if (path.startsWith('/profiles/')) return profile(host, req, res, path, ip);
  if (path === '/leaderboard') return leaderboard(host, req, res, ip);
  sendText(res, 404, 'not found');
}

function profile(host: ProfileRoutesHost, req: IncomingMessage, res: ServerResponse, path: string, ip: string): void {
  let userId: string;
  try {
    userId = decodeURIComponent(path.slice('/profiles/'.length));
  } catch {
    return sendText(res, 400, 'the user id is not valid percent-encoding');
  }
  if (userId.length === 0 || userId.length > MAX_USER_ID)
    return sendText(res, 400, `GET /profiles/<userId>: a user id of 1-${MAX_USER_ID} characters`);
  ownerOf(host, req).then(
    (viewer) => {
      if (viewer.refused) return sendText(res, viewer.refused.status, viewer.refused.reason, viewer.refused.headers);
      const owner = viewer.userId === userId;
      const read = gated(host, res, ip, () => host.profiles.get(userId));
      read?.then(
        (p) => {
          if (!p) return sendJson(res, 404, { error: `no profile for user ${userId}` });
          sendJson(res, 200, owner ? p : publicProfile(p));
        },
        (err: Error) => sendText(res, 503, `the database did not answer: ${err.message}`),
      );
    },
    (err: Error) => sendText(res, 500, `could not check the token: ${err.message}`),
  );
}

function leaderboard(host: ProfileRoutesHost, req: IncomingMessage, res: ServerResponse, ip: string): void {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const by = (q.get('by') ?? 'kills') as LeaderboardKey;
  if (!LEADERBOARD_KEYS.includes(by)) return sendJson(res, 400, { error: `by must be one of ${LEADERBOARD_KEYS.join(', ')}` });
  const limit = Number(q.get('limit') ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BOARD_PAGE)
    return sendJson(res, 400, { error: `limit must be 1-${MAX_BOARD_PAGE}` });
  const rawAfter = q.get('after');
  const rawOffset = q.get('offset');
  if (rawAfter !== null && rawOffset !== null) return sendJson(res, 400, { error: 'give offset or after, not both' });
  let from: { offset?: number; after?: LeaderboardCursor };
  if (rawAfter !== null) {
    const after = parseCursor(rawAfter);
    if (!after) return sendJson(res, 400, { error: 'after must be the `next` of a leaderboard page' });
    from = { after };
  } else {
    const offset = Number(rawOffset ?? 0);
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_BOARD_OFFSET)
      return sendJson(res, 400, {
        error: `offset must be 0-${MAX_BOARD_OFFSET}; to read deeper, follow the pages' next cursor (after=…)`,
      });
    from = { offset };
  }
  gated(host, res, ip, () => host.profiles.leaderboard(by, limit, from))?.then(
    ({ entries, more }) => {
      const last = entries.at(-1);
      const next = more && last ? formatCursor(cursorOf(by, last)) : null;
      sendJson(res, 200, from.offset === undefined ? { by, entries, next } : { by, offset: from.offset, entries, next });
    },
    (err: Error) => sendText(res, 503, `the database did not answer: ${err.message}`),
  );
}

/** Run `read` under the server's cap on reads in flight; when full, answer 503 and return undefined. */
function gated<T>(host: ProfileRoutesHost, res: ServerResponse, ip: string, read: () => Promise<T>): Promise<T> | undefined {
  const gate = host.frontDoor.dataReads;
  const running = gate.run(read);
  if (!running) {
    host.warn(ip, { ip, inFlight: gate.active }, 'database read refused: the server has too many in flight');
    sendText(res, 503, `the database is busy: ${gate.max} reads already in flight; try again in a second`, { 'retry-after': '1' });
  }
  return running;
}

interface Viewer {
  /** The verified `sub`, if a token came. */
  userId?: string;
  refused?: { status: 401 | 503; reason: string; headers: Record<string, string> };
}

/** Who is asking: nobody in particular (no Authorization), a verified user, or a refusal (401). */
async function ownerOf(host: ProfileRoutesHost, req: IncomingMessage): Promise<Viewer> {
  const header = req.headers.authorization;
  if (header === undefined) return {};
  const refuse = (reason: string, status: 401 | 503 = 401): Viewer => ({
    refused: {
      status,
      reason,
      headers:
        status === 401 ? { 'www-authenticate': `Bearer error="invalid_token", error_description="${reason.replace(/["\\]/g, "'")}"` } : {},
    },
  });
  const m = /^Bearer +(\S+)$/i.exec(header);
  if (!m) return refuse('Authorization must be "Bearer <token>" (or leave it out for the public view)');
  if (!host.auth) return refuse('this server verifies no tokens (auth is off), so no profile has an owner here: leave Authorization out');
  try {
    return { userId: (await host.auth.verify(m[1])).userId };
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    if (err.reasonCode === 'key_source_unavailable') return refuse(`the token could not be checked now: ${err.message}`, 503);
    return refuse(`token refused (${err.reasonCode}): ${err.message}`);
  }
}

/** `rank.value.userId-in-base64url`: readable, and no user id can break it apart. */
export function formatCursor(c: LeaderboardCursor): string {
  return `${c.rank}.${c.value}.${Buffer.from(c.userId, 'utf8').toString('base64url')}`;
}

/** A cursor from `formatCursor`, or undefined when `raw` is not one. */
export function parseCursor(raw: string): LeaderboardCursor | undefined {
  if (raw.length > MAX_CURSOR) return undefined;
  const m = /^(\d{1,9})\.(-?\d{1,10})\.([A-Za-z0-9_-]+)$/.exec(raw);
  if (!m) return undefined;
  const rank = Number(m[1]);
  const value = Number(m[2]);
  const userId = Buffer.from(m[3]!, 'base64url').toString('utf8');
  // The column is a 32-bit integer; the id must be the one that was encoded (no stray bits).
  if (rank < 1 || value < -(2 ** 31) || value >= 2 ** 31) return undefined;
  if (userId.length === 0 || userId.length > MAX_USER_ID || Buffer.from(userId, 'utf8').toString('base64url') !== m[3]) return undefined;
  return { rank, value, userId };
}
