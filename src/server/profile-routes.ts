import type { IncomingMessage, ServerResponse } from 'node:http';
import { LEADERBOARD_KEYS, type LeaderboardKey, type ProfileStore } from '../profiles/profile-store';
import { sendJson, sendText } from './http-reply';

/** Most entries one leaderboard page holds. */
const MAX_BOARD = 100;

/**
 * The public profile API (GET, JSON):
 * - `/profiles/<userId>`: one profile, or 404;
 * - `/leaderboard?by=kills|bestScore|matches&limit=10&offset=0`: ranked profiles, `rank` from 1.
 */
export function handleProfileRequest(profiles: ProfileStore, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.method !== 'GET') return sendText(res, 405, 'method not allowed: GET', { allow: 'GET' });
  const failed = (err: Error) => sendText(res, 503, `the database did not answer: ${err.message}`);
  if (path.startsWith('/profiles/')) {
    let userId: string;
    try {
      userId = decodeURIComponent(path.slice('/profiles/'.length));
    } catch {
      return sendText(res, 400, 'the user id is not valid percent-encoding');
    }
    if (userId.length === 0 || userId.length > 128) return sendText(res, 400, 'GET /profiles/<userId>: a user id of 1-128 characters');
    profiles.get(userId).then((p) => (p ? sendJson(res, 200, p) : sendJson(res, 404, { error: `no profile for user ${userId}` })), failed);
    return;
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const by = (q.get('by') ?? 'kills') as LeaderboardKey;
  if (!LEADERBOARD_KEYS.includes(by)) return sendJson(res, 400, { error: `by must be one of ${LEADERBOARD_KEYS.join(', ')}` });
  const limit = Number(q.get('limit') ?? 10);
  const offset = Number(q.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BOARD) return sendJson(res, 400, { error: `limit must be 1-${MAX_BOARD}` });
  if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000) return sendJson(res, 400, { error: 'offset must be 0-1000000' });
  profiles
    .leaderboard(by, limit, offset)
    .then((rows) => sendJson(res, 200, { by, offset, entries: rows.map((p, i) => ({ rank: offset + i + 1, ...p })) }), failed);
}
