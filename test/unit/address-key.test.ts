import { describe, expect, it } from 'vitest';
import { addressKey, isLoopbackAddress } from '../../src/server/address-key';
import { FrontDoor } from '../../src/server/front-door';
import type { IncomingMessage } from 'node:http';

describe('addressKey: what per-address limits count by', () => {
  it('keeps IPv4 as it is and counts IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('unknown')).toBe('unknown');
  });

  it('knows this host', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(ip)).toBe(true);
    for (const ip of ['10.0.0.1', '::', '2001:db8::1', '::ffff:10.0.0.1', '128.0.0.1']) expect(isLoopbackAddress(ip)).toBe(false);
  });

  it('makes two addresses of one IPv6 /64 share the front door’s limits, and another /64 not', () => {
    const door = new FrontDoor({ maxUnjoinedPerIp: 2, handshakesPerSecondPerIp: 100 });
    const req = { headers: {}, socket: { remoteAddress: 'x' } } as unknown as IncomingMessage;
    expect(door.admitUpgrade(req, '2001:db8:1:2::a', 0)).toBeUndefined();
    expect(door.admitUpgrade(req, '2001:db8:1:2::b', 0)).toBeUndefined();
    expect(door.admitUpgrade(req, '2001:db8:1:2:ffff::c', 0)).toMatchObject({ status: 429 });
    expect(door.admitUpgrade(req, '2001:db8:1:3::a', 0)).toBeUndefined();
    door.closed('2001:db8:1:2::a', false, 0);
    expect(door.admitUpgrade(req, '2001:db8:1:2::c', 0)).toBeUndefined();
  });
});
