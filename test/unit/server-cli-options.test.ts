import { describe, expect, it } from 'vitest';
import { authOptionsFromCli, parseServerCliOptions, serverUsage, UsageError } from '../../src/cli/server-cli-options';

describe('server CLI options', () => {
  it('has working defaults', () => {
    expect(parseServerCliOptions([], {})).toEqual({ port: 8080, host: '0.0.0.0', tickRate: 30, sendRate: 30, maxPlayers: 32, maxRooms: 1000, maxConnections: 5000, logLevel: 'info', staticDir: undefined, resumeWindowS: 20, drainS: 5, authSecret: undefined, authPublicKeyFile: undefined, authJwks: undefined, authAudience: undefined, authIssuer: undefined, perIpLimits: true, maxConnectionsPerIp: 32, trustProxy: [], allowedOrigins: [], help: false });
  });

  it('reads the session and auth settings, and refuses two key sources or a short secret', () => {
    expect(parseServerCliOptions(['--resume-window', '2.5', '--drain-seconds', '0'], {})).toMatchObject({ resumeWindowS: 2.5, drainS: 0 });
    expect(parseServerCliOptions([], { TICKWIRE_AUTH_JWKS: 'https://id.example/jwks.json', TICKWIRE_AUTH_AUDIENCE: 'game' })).toMatchObject({ authJwks: 'https://id.example/jwks.json', authAudience: 'game' });
    expect(() => parseServerCliOptions(['--auth-secret', 'x'.repeat(32), '--auth-jwks', 'keys.json'], {})).toThrow(/set only one of --auth-secret, --auth-jwks/);
    expect(parseServerCliOptions(['--per-ip-limits', 'off', '--trust-proxy', '10.0.0.1, 10.0.0.2', '--allowed-origins', 'https://a.example'], {})).toMatchObject({ perIpLimits: false, trustProxy: ['10.0.0.1', '10.0.0.2'], allowedOrigins: ['https://a.example'] });
    expect(() => parseServerCliOptions(['--per-ip-limits', 'maybe'], {})).toThrow(/--per-ip-limits must be on or off/);
    expect(() => parseServerCliOptions(['--resume-window', '4000'], {})).toThrow(/--resume-window must be a number from 0 to 3600/);
    expect(authOptionsFromCli(parseServerCliOptions([], {}))).toBeUndefined();
    expect(authOptionsFromCli(parseServerCliOptions(['--auth-secret', 's'.repeat(32), '--auth-issuer', 'me'], {}))).toEqual({ secret: 's'.repeat(32), issuer: 'me' });
    expect(() => authOptionsFromCli(parseServerCliOptions(['--auth-secret', 'short'], {}))).toThrow(/at least 32 bytes/);
    expect(() => authOptionsFromCli(parseServerCliOptions(['--auth-public-key', '/nonexistent/key.pem'], {}))).toThrow(/--auth-public-key: cannot read/);
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
    for (const word of ['--port', 'TICKWIRE_PORT', '--tick-rate', '--send-rate', '--max-players', '--log-level', '--help']) expect(usage).toContain(word);
  });
});
