import { describe, expect, it } from 'vitest';
import { healthUrlFor, parseBotsArgs, UsageError } from '../../bench/bots/options';

describe('parseBotsArgs', () => {
  it('has defaults', () => {
    const o = parseBotsArgs([]);
    expect(o).toMatchObject({
      url: 'ws://127.0.0.1:8080/ws',
      clients: 10,
      durationS: 30,
      behavior: 'walk',
      json: false,
      rampMs: 0,
      warmupS: 1,
      roomType: 'arena',
      help: false,
    });
  });

  it('parses every flag', () => {
    const o = parseBotsArgs([
      '--url',
      'ws://localhost:9000/ws',
      '--clients',
      '200',
      '--duration',
      '2.5',
      '--behavior',
      'fight',
      '--json',
      '--ramp-ms',
      '1000',
      '--warmup',
      '0',
      '--join-timeout',
      '5',
      '--room-type',
      'duel',
      '--seed',
      '7',
    ]);
    expect(o).toMatchObject({
      url: 'ws://localhost:9000/ws',
      clients: 200,
      durationS: 2.5,
      behavior: 'fight',
      json: true,
      rampMs: 1000,
      warmupS: 0,
      joinTimeoutS: 5,
      roomType: 'duel',
      seed: 7,
    });
    expect(parseBotsArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--clients', '0'], /--clients must be an integer from 1/],
    [['--clients', '1.5'], /--clients must be an integer/],
    [['--clients', ''], /--clients/],
    [['--duration', 'abc'], /--duration must be a number/],
    [['--behavior', 'dance'], /--behavior must be one of walk, fight/],
    [['--url', 'http://127.0.0.1:8080/ws'], /ws:\/\/ or wss:\/\//],
    [['--url', 'not a url'], /--url must be a WebSocket URL/],
    [['--bogus'], /bogus/],
    [['positional'], /positional/i],
    [['--json=yes'], /json/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBotsArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseBotsArgs(argv as string[])).toThrow(message);
  });
});

describe('healthUrlFor', () => {
  it('maps the WebSocket endpoint to /health on the same host and port', () => {
    expect(healthUrlFor('ws://127.0.0.1:8090/ws')).toBe('http://127.0.0.1:8090/health');
    expect(healthUrlFor('wss://example.test/game/ws?x=1')).toBe('https://example.test/health');
  });
});

describe('bots: the simulated network and frames', () => {
  it('parses --latency, --jitter, --loss and --fps, splits the round trip each way, and refuses bad values by name', async () => {
    const { parseBotsArgs, botNetwork } = await import('../../bench/bots/options');
    const o = parseBotsArgs(['--latency', '300', '--jitter', '50', '--loss', '0.05', '--fps', '60']);
    expect([o.latencyMs, o.jitterMs, o.loss, o.fps]).toEqual([300, 50, 0.05, 60]);
    expect(botNetwork(o)).toEqual({ latencyMs: 150, jitterMs: 50, loss: 0.05 });
    expect(botNetwork(parseBotsArgs([]))).toBeNull();
    expect(() => parseBotsArgs(['--loss', '0.9'])).toThrow(/--loss must be a number from 0 to 0.5/);
    expect(() => parseBotsArgs(['--jitter', '-1'])).toThrow(/--jitter/);
  });
});

describe('bots: --processes', () => {
  it('defaults to 1, takes a count or auto (the cores), never more than the bots, and refuses bad values and --chat-rate', async () => {
    const { availableParallelism } = await import('node:os');
    expect(parseBotsArgs([]).processes).toBe(1);
    expect(parseBotsArgs(['--clients', '2000', '--processes', '2']).processes).toBe(2);
    expect(parseBotsArgs(['--clients', '2000', '--processes', 'auto']).processes).toBe(availableParallelism());
    expect(parseBotsArgs(['--clients', '3', '--processes', '8']).processes).toBe(3);
    expect(() => parseBotsArgs(['--processes', '0'])).toThrow(/--processes must be an integer from 1 to 64, got "0"/);
    expect(() => parseBotsArgs(['--processes', 'many'])).toThrow(UsageError);
    expect(() => parseBotsArgs(['--clients', '10', '--processes', '2', '--chat-rate', '5'])).toThrow(/--chat-rate needs --processes 1/);
    expect(parseBotsArgs(['--processes', '1', '--chat-rate', '5']).chatRate).toBe(5);
  });
});
