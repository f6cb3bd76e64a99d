import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authOptionsFromCli, parseServerCliOptions, serverUsage, UsageError } from '../../src/cli/server-cli-options';
import { makeKey } from '../support/jwt-fixtures';

describe('server CLI options', () => {
  it('has working defaults', () => {
    expect(parseServerCliOptions([], {})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      tickRate: 30,
      sendRate: 30,
      maxPlayers: 32,
      maxRooms: 1000,
      maxConnections: 5000,
      logLevel: 'info',
      staticDir: undefined,
      resumeWindowS: 20,
      drainS: 5,
      authSecret: undefined,
      authPublicKeyFile: undefined,
      authJwks: undefined,
      authAudience: undefined,
      authIssuer: undefined,
      authExpiryNoticeS: 60,
      perIpLimits: true,
      maxConnectionsPerIp: 32,
      dataReadsPerIp: 5,
      maxDataReads: 8,
      trustProxy: [],
      allowedOrigins: [],
      webrtc: false,
      webrtcPorts: undefined,
      iceServers: [],
      publicIp: undefined,
      metrics: true,
      roomMoves: true,
      operatorToken: undefined,
      adminPort: 8081,
      adminHost: '127.0.0.1',
      maxReservationsPerIp: 4,
      maxReservations: 256,
      matchmakeAuth: false,
      redisUrl: undefined,
      publicUrl: undefined,
      nodeId: undefined,
      workers: 1,
      reservationS: 10,
      databaseUrl: undefined,
      dataDir: './data',
      persistence: true,
      chatRate: 1,
      chatBurst: 5,
      chatPageRate: 2,
      chatPageBurst: 5,
      help: false,
    });
  });

  it('--room-moves off (or TICKWIRE_ROOM_MOVES=off) keeps rooms on a draining node', () => {
    expect(parseServerCliOptions(['--room-moves', 'off'], {})).toMatchObject({ roomMoves: false });
    expect(parseServerCliOptions([], { TICKWIRE_ROOM_MOVES: 'off' })).toMatchObject({ roomMoves: false });
    expect(() => parseServerCliOptions(['--room-moves', 'maybe'], {})).toThrow(/room-moves/);
  });

  it('puts the operator routes on an admin port on loopback: the game port + 1, a free one with --port 0, or off', () => {
    expect(parseServerCliOptions(['--port', '9000'], {})).toMatchObject({ adminPort: 9001, adminHost: '127.0.0.1' });
    expect(parseServerCliOptions(['--port', '0'], {})).toMatchObject({ adminPort: 0 });
    expect(parseServerCliOptions(['--admin-port', 'off'], {})).toMatchObject({ adminPort: undefined });
    expect(parseServerCliOptions([], { TICKWIRE_ADMIN_PORT: '9464' })).toMatchObject({ adminPort: 9464 });
    expect(() => parseServerCliOptions(['--admin-port', '8080'], {})).toThrow(/--admin-port must differ from --port \(8080\)/);
    expect(() => parseServerCliOptions(['--port', '65535'], {})).toThrow(/game port \+ 1 is past 65535/);
    // Off loopback it would answer other machines: only with the operator token.
    expect(() => parseServerCliOptions(['--admin-host', '0.0.0.0'], {})).toThrow(
      /--admin-host 0.0.0.0 lets other machines.*--operator-token/,
    );
    expect(parseServerCliOptions(['--admin-host', '0.0.0.0', '--operator-token', 'x'.repeat(32)], {})).toMatchObject({
      adminHost: '0.0.0.0',
    });
  });

  it('reads the matchmaking limits', () => {
    expect(
      parseServerCliOptions(['--max-reservations-per-ip', '0', '--max-reservations', '50', '--matchmake-auth', 'on'], {}),
    ).toMatchObject({ maxReservationsPerIp: 0, maxReservations: 50, matchmakeAuth: true });
    expect(() => parseServerCliOptions(['--max-reservations', '0'], {})).toThrow(/--max-reservations/);
    expect(() => parseServerCliOptions(['--matchmake-auth', 'yes'], {})).toThrow(/--matchmake-auth must be on or off/);
  });

  it('reads the database and chat settings, and refuses a URL that is not PostgreSQL', () => {
    expect(
      parseServerCliOptions(['--persistence', 'off', '--chat-rate', '0.5'], {
        DATABASE_URL: 'postgres://me@127.0.0.1:5432/test',
        TICKWIRE_DATA_DIR: '/var/tw',
      }),
    ).toMatchObject({ persistence: false, databaseUrl: 'postgres://me@127.0.0.1:5432/test', dataDir: '/var/tw', chatRate: 0.5 });
    expect(() => parseServerCliOptions([], { DATABASE_URL: 'mysql://me:pw@db/x' })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ URL, got "mysql:\/\/me:\*\*\*@db\/x"/,
    );
    expect(() => parseServerCliOptions(['--chat-burst', '0'], {})).toThrow(/--chat-burst/);
    expect(
      parseServerCliOptions(['--chat-page-rate', '0.5', '--chat-page-burst', '3', '--max-data-reads', '0'], {
        TICKWIRE_DATA_READS_PER_IP: '2.5',
      }),
    ).toMatchObject({ chatPageRate: 0.5, chatPageBurst: 3, maxDataReads: 0, dataReadsPerIp: 2.5 });
    expect(() => parseServerCliOptions(['--data-reads-per-ip=-1'], {})).toThrow(/--data-reads-per-ip must be a number from 0 to 10000/);
  });

  it('reads the session and auth settings, and refuses two key sources or a short secret', () => {
    expect(parseServerCliOptions(['--resume-window', '2.5', '--drain-seconds', '0'], {})).toMatchObject({ resumeWindowS: 2.5, drainS: 0 });
    expect(parseServerCliOptions([], { TICKWIRE_AUTH_JWKS: 'https://id.example/jwks.json', TICKWIRE_AUTH_AUDIENCE: 'game' })).toMatchObject(
      { authJwks: 'https://id.example/jwks.json', authAudience: 'game' },
    );
    expect(() => parseServerCliOptions(['--auth-secret', 'x'.repeat(32), '--auth-jwks', 'keys.json'], {})).toThrow(
      /set only one of --auth-secret, --auth-jwks/,
    );
    expect(
      parseServerCliOptions(
        ['--per-ip-limits', 'off', '--trust-proxy', '10.0.0.1, 10.0.0.2', '--allowed-origins', 'https://a.example'],
        {},
      ),
    ).toMatchObject({ perIpLimits: false, trustProxy: ['10.0.0.1', '10.0.0.2'], allowedOrigins: ['https://a.example'] });
    expect(() => parseServerCliOptions(['--per-ip-limits', 'maybe'], {})).toThrow(/--per-ip-limits must be on or off/);
    expect(() => parseServerCliOptions(['--resume-window', '4000'], {})).toThrow(/--resume-window must be a number from 0 to 3600/);
    expect(authOptionsFromCli(parseServerCliOptions([], {}))).toBeUndefined();
    expect(
      authOptionsFromCli(parseServerCliOptions(['--auth-secret', 's'.repeat(32), '--auth-issuer', 'me', '--auth-audience', 'game'], {})),
    ).toEqual({
      secret: 's'.repeat(32),
      issuer: 'me',
      audience: 'game',
    });
    // aud and iss are required with auth: leaving one out is a usage error that says what to set...
    expect(() => authOptionsFromCli(parseServerCliOptions(['--auth-secret', 's'.repeat(32), '--auth-issuer', 'me'], {}))).toThrow(
      /--auth-secret: auth needs an audience: set auth.audience \(--auth-audience\).*--auth-audience off/,
    );
    // ...and "off" turns a check off on purpose (the server warns at start).
    expect(
      authOptionsFromCli(
        parseServerCliOptions(
          ['--auth-secret', 's'.repeat(32), '--auth-issuer', 'off', '--auth-audience', 'off', '--auth-expiry-notice', '30'],
          {},
        ),
      ),
    ).toEqual({ secret: 's'.repeat(32), issuer: false, audience: false, expiryNoticeSec: 30 });
    expect(() => parseServerCliOptions(['--auth-expiry-notice', '5000'], {})).toThrow(
      /--auth-expiry-notice must be a number from 0 to 3600/,
    );
    expect(() => authOptionsFromCli(parseServerCliOptions(['--auth-secret', 'short'], {}))).toThrow(/at least 32 bytes/);
    expect(() => authOptionsFromCli(parseServerCliOptions(['--auth-public-key', '/nonexistent/key.pem'], {}))).toThrow(
      /--auth-public-key: cannot read/,
    );
  });

  it('reads every auth setting from its flag or its variable, the flag winning', () => {
    const env = { TICKWIRE_AUTH_SECRET: 'e'.repeat(32), TICKWIRE_AUTH_AUDIENCE: 'env-aud', TICKWIRE_AUTH_ISSUER: 'env-iss' };
    expect(parseServerCliOptions([], env)).toMatchObject({ authSecret: 'e'.repeat(32), authAudience: 'env-aud', authIssuer: 'env-iss' });
    expect(
      parseServerCliOptions(['--auth-secret', 'f'.repeat(40), '--auth-audience', 'flag-aud', '--auth-issuer', 'flag-iss'], env),
    ).toMatchObject({ authSecret: 'f'.repeat(40), authAudience: 'flag-aud', authIssuer: 'flag-iss' });
    expect(parseServerCliOptions([], { TICKWIRE_AUTH_PUBLIC_KEY: '/keys/pub.pem' })).toMatchObject({
      authPublicKeyFile: '/keys/pub.pem',
      authSecret: undefined,
    });
    expect(parseServerCliOptions(['--auth-public-key', 'k.pem'], {})).toMatchObject({ authPublicKeyFile: 'k.pem' });
    expect(parseServerCliOptions(['--auth-jwks', 'keys.json'], {})).toMatchObject({ authJwks: 'keys.json' });
  });

  it('refuses more than one key source, naming how each was set', () => {
    expect(() => parseServerCliOptions(['--auth-public-key', 'k.pem'], { TICKWIRE_AUTH_SECRET: 's'.repeat(32) })).toThrow(UsageError);
    expect(() => parseServerCliOptions(['--auth-public-key', 'k.pem'], { TICKWIRE_AUTH_SECRET: 's'.repeat(32) })).toThrow(
      /set only one of TICKWIRE_AUTH_SECRET, --auth-public-key:/,
    );
    expect(() =>
      parseServerCliOptions(['--auth-secret', 's'.repeat(32), '--auth-public-key', 'k.pem', '--auth-jwks', 'j.json'], {}),
    ).toThrow(/set only one of --auth-secret, --auth-public-key, --auth-jwks/);
  });

  it('refuses a secret under 32 bytes, naming the flag or the variable', () => {
    expect(() => parseServerCliOptions(['--auth-secret', 'short'], {})).toThrow(/--auth-secret must be at least 32 bytes/);
    expect(() => parseServerCliOptions([], { TICKWIRE_AUTH_SECRET: 'x'.repeat(31) })).toThrow(
      /TICKWIRE_AUTH_SECRET must be at least 32 bytes/,
    );
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(parseServerCliOptions(['--auth-secret', 'é'.repeat(16)], {}).authSecret).toBe('é'.repeat(16));
  });

  it('reads fractional resume and drain times within their ranges', () => {
    expect(parseServerCliOptions([], { TICKWIRE_RESUME_WINDOW: '0.5', TICKWIRE_DRAIN_SECONDS: '1.25' })).toMatchObject({
      resumeWindowS: 0.5,
      drainS: 1.25,
    });
    expect(parseServerCliOptions(['--resume-window', '3600', '--drain-seconds', '600'], { TICKWIRE_DRAIN_SECONDS: '1' })).toMatchObject({
      resumeWindowS: 3600,
      drainS: 600,
    });
    expect(parseServerCliOptions(['--resume-window', '0'], {})).toMatchObject({ resumeWindowS: 0 });
    expect(() => parseServerCliOptions(['--drain-seconds', '601'], {})).toThrow(
      /--drain-seconds must be a number from 0 to 600, got "601"/,
    );
    expect(() => parseServerCliOptions([], { TICKWIRE_DRAIN_SECONDS: '-1' })).toThrow(
      /TICKWIRE_DRAIN_SECONDS must be a number from 0 to 600/,
    );
    expect(() => parseServerCliOptions([], { TICKWIRE_RESUME_WINDOW: 'soon' })).toThrow(/TICKWIRE_RESUME_WINDOW must be a number/);
  });

  it('turns the auth settings into AuthOptions, reading the PEM file and checking the key source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-cli-'));
    const key = await makeKey('ES256', 'k1');
    const pemFile = join(dir, 'pub.pem');
    writeFileSync(pemFile, key.pem);
    const claims = { TICKWIRE_AUTH_AUDIENCE: 'arena', TICKWIRE_AUTH_ISSUER: 'https://id.example' };
    expect(authOptionsFromCli(parseServerCliOptions(['--auth-public-key', pemFile], claims))).toEqual({
      publicKey: key.pem,
      audience: 'arena',
      issuer: 'https://id.example',
    });

    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [key.jwk] }));
    expect(authOptionsFromCli(parseServerCliOptions([], { ...claims, TICKWIRE_AUTH_JWKS: jwksFile }))).toMatchObject({ jwks: jwksFile });
    // A URL is not fetched at startup: the identity provider may come up after the server.
    expect(authOptionsFromCli(parseServerCliOptions(['--auth-jwks', 'https://id.example/jwks.json'], claims))).toMatchObject({
      jwks: 'https://id.example/jwks.json',
    });

    const notAKey = join(dir, 'not-a-key.pem');
    writeFileSync(notAKey, 'hello');
    for (const [argv, message] of [
      [['--auth-public-key', notAKey], /--auth-public-key: the auth public key must be a PEM SPKI key/],
      [['--auth-public-key', dir], /--auth-public-key: cannot read/],
      [['--auth-jwks', join(dir, 'missing.json')], /--auth-jwks: cannot load the auth JWKS file/],
      [['--auth-jwks', pemFile], /--auth-jwks: cannot load the auth JWKS file/],
      [['--auth-jwks', 'ftp://id.example/jwks.json'], /--auth-jwks: the auth JWKS must be a file path or an http\(s\):\/\/ URL/],
    ] as const) {
      expect(() => authOptionsFromCli(parseServerCliOptions([...argv], claims))).toThrow(UsageError);
      expect(() => authOptionsFromCli(parseServerCliOptions([...argv], claims))).toThrow(message);
    }
  });

  it('reads env vars, and flags win over them', () => {
    const env = { TICKWIRE_PORT: '9000', TICKWIRE_TICK_RATE: '64', TICKWIRE_MAX_PLAYERS: '500' };
    expect(parseServerCliOptions([], env)).toMatchObject({ port: 9000, tickRate: 64, sendRate: 64, maxPlayers: 500 });
    expect(parseServerCliOptions(['--port', '1234', '--send-rate', '20'], env)).toMatchObject({ port: 1234, tickRate: 64, sendRate: 20 });
  });

  it.each([
    [['--tick-rate', '9'], /--tick-rate must be an integer from 10 to 128/],
    [['--tick-rate', '30', '--send-rate', '31'], /--send-rate must be an integer from 1 to 30/],
    [['--port', 'http'], /--port must be an integer/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--max-players', '0'], /--max-players must be an integer from 1 to 65535/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseServerCliOptions(argv, {})).toThrow(UsageError);
    expect(() => parseServerCliOptions(argv, {})).toThrow(message);
  });

  it('names the env var when the env var is wrong', () => {
    expect(() => parseServerCliOptions([], { TICKWIRE_TICK_RATE: 'fast' })).toThrow(/TICKWIRE_TICK_RATE must be an integer/);
  });

  it('documents every flag and variable in --help', () => {
    const usage = serverUsage();
    for (const word of ['--port', 'TICKWIRE_PORT', '--tick-rate', '--send-rate', '--max-players', '--log-level', '--help'])
      expect(usage).toContain(word);
    for (const word of [
      '--resume-window',
      'TICKWIRE_RESUME_WINDOW',
      '--drain-seconds',
      'TICKWIRE_DRAIN_SECONDS',
      '--auth-secret',
      'TICKWIRE_AUTH_SECRET',
      '--auth-public-key',
      'TICKWIRE_AUTH_PUBLIC_KEY',
      '--auth-jwks',
      'TICKWIRE_AUTH_JWKS',
      '--auth-audience',
      'TICKWIRE_AUTH_AUDIENCE',
      '--auth-issuer',
      'TICKWIRE_AUTH_ISSUER',
    ]) {
      expect(usage).toContain(word);
    }
  });
});

describe('WebRTC settings', () => {
  it('reads the cluster settings (REDIS_URL, public URL, node id, workers), refusing bad ones by name and hiding a password', () => {
    expect(
      parseServerCliOptions(['--workers', '2', '--public-url', 'wss://eu-1.example.com/ws'], {
        REDIS_URL: 'redis://:pw@10.0.0.5:6379/1',
        TICKWIRE_NODE_ID: 'eu-1',
      }),
    ).toMatchObject({ redisUrl: 'redis://:pw@10.0.0.5:6379/1', publicUrl: 'wss://eu-1.example.com/ws', nodeId: 'eu-1', workers: 2 });
    expect(() => parseServerCliOptions(['--redis-url', 'http://:hunter2@x'], {})).toThrow(
      /--redis-url must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/:\*\*\*@x"/,
    );
    expect(() => parseServerCliOptions(['--workers', '0'], {})).toThrow(/--workers/);
  });

  it('turn WebRTC on with its ports, ICE servers and public address, from flags or variables, refusing bad ones by name', async () => {
    const { parseServerCliOptions } = await import('../../src/cli/server-cli-options');
    expect(parseServerCliOptions([], {})).toMatchObject({ webrtc: false, webrtcPorts: undefined, iceServers: [], publicIp: undefined });
    expect(
      parseServerCliOptions(['--webrtc', 'on', '--webrtc-ports', '50000-50999', '--ice-servers', 'stun:a.example:3478, turn:b.example'], {
        TICKWIRE_PUBLIC_IP: '203.0.113.7',
      }),
    ).toMatchObject({
      webrtc: true,
      webrtcPorts: { min: 50000, max: 50999 },
      iceServers: ['stun:a.example:3478', 'turn:b.example'],
      publicIp: '203.0.113.7',
    });
    expect(() => parseServerCliOptions(['--webrtc-ports', '60000-50000'], {})).toThrow(/--webrtc-ports must be MIN-MAX/);
    expect(() => parseServerCliOptions(['--webrtc-ports', '80-90'], {})).toThrow(/1024 ≤ MIN/);
    expect(() => parseServerCliOptions([], { TICKWIRE_PUBLIC_IP: 'example.com' })).toThrow(
      /TICKWIRE_PUBLIC_IP must be an IPv4 or IPv6 address/,
    );
    expect(() => parseServerCliOptions(['--webrtc', 'yes'], {})).toThrow(/--webrtc must be on or off/);
  });
});
