import { isIP } from 'node:net';

/**
 * The key an address is counted under in per-address limits: an IPv4 address as it is, an IPv6
 * address by its /64. One home or one cloud machine is usually given a whole /64, so counting
 * single IPv6 addresses would let one attacker be 2^64 clients.
 * `::ffff:1.2.3.4` (IPv4 on an IPv6 socket) counts as `1.2.3.4`.
 */
export function addressKey(ip: string): string {
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  if (isIP(ip) !== 6) return ip;
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

/** Whether `ip` is this host: 127.0.0.0/8, ::1, or IPv4 loopback on an IPv6 socket. */
export function isLoopbackAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

/** The eight 16-bit groups of an IPv6 address, in lowercase hex without leading zeros. */
function expandIpv6(ip: string): string[] {
  const zone = ip.indexOf('%');
  const bare = zone >= 0 ? ip.slice(0, zone) : ip;
  const [head, tail] = bare.includes('::') ? bare.split('::', 2) : [bare, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const last = right.length ? right : left;
  const v4 = last.length && last[last.length - 1]!.includes('.') ? last.pop()!.split('.').map(Number) : undefined;
  if (v4) last.push(((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16));
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((g) => parseInt(g, 16).toString(16));
}
