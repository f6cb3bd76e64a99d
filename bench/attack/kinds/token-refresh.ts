/**
 * The TOKEN_REFRESH flood. It needs authentication, so it runs against a second server with JWT
 * auth on (`AUTH_SERVER_ARGS`, a throwaway HS256 secret for this run) and a bystander of its own;
 * `mintAttackerTokens` must fill the attackers' pool of identities before its phase.
 */
import { SignJWT } from 'jose';
import { encodeControl } from '../../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../../shared/protocol/message-types';
import { type AttackKind, offendRepeatedly, sleep } from '../attack-kit';

/** The second server's JWT settings (a throwaway secret for this run). */
const AUTH = { secret: `attack-${process.pid}-${'x'.repeat(32)}`, audience: 'tickwire-attack', issuer: 'tickwire-attack' };
/** The second server's command-line flags that turn its JWT auth on with `AUTH`. */
export const AUTH_SERVER_ARGS = ['--auth-secret', AUTH.secret, '--auth-audience', AUTH.audience, '--auth-issuer', AUTH.issuer];

/** A token for `sub` on the second server, valid for an hour. */
export function mintToken(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience(AUTH.audience)
    .setIssuer(AUTH.issuer)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(AUTH.secret));
}

/**
 * JOINs with distinct identities for the refresh flood, cycled: one identity, one seat, so two
 * live attackers sharing a `sub` would take each other's seats (4012) instead of being limited.
 * Each attacker holds one socket at a time, so a pool far larger than `--attackers` never collides.
 */
const authedJoins: { join: Uint8Array; refresh: Uint8Array }[] = [];
let nextAuthedJoin = 0;

/** Mint `count` identities (`attacker-0` and up) for the flood: each one's JOIN and TOKEN_REFRESH. */
export async function mintAttackerTokens(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const token = await mintToken(`attacker-${i}`);
    authedJoins.push({
      join: encodeControl(MessageType.Join, { v: PROTOCOL_VERSION, roomType: 'arena', name: 'attacker', token }),
      refresh: encodeControl(MessageType.TokenRefresh, { token }),
    });
  }
}

/**
 * Against the server with auth on: join with a valid token, wait for the WELCOME, then send
 * 500 TOKEN_REFRESH messages with valid tokens, each of which would cost a signature check;
 * reconnect when thrown out.
 */
export const tokenRefreshFlood: AttackKind = {
  name: 'token refresh flood',
  attack: (ctx) =>
    offendRepeatedly(ctx, async (ws) => {
      const { join, refresh } = authedJoins[nextAuthedJoin++ % authedJoins.length];
      const welcomed = new Promise<boolean>((resolve) => {
        ws.once('message', (m: Buffer) => resolve(m[0] === MessageType.Welcome));
        ws.once('close', () => resolve(false));
      });
      ws.send(join);
      if (await Promise.race([welcomed, sleep(2000).then(() => false)]))
        for (let k = 0; k < 500 && ws.readyState === 1; k++) ws.send(refresh);
    }),
};
