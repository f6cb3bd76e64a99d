import type { ServerResponse } from 'node:http';

/**
 * Host candidates in an SDP or an ICE candidate string: `candidate:<foundation> <component>
 * <transport> <priority> <address> <port> typ host`. The address is what a client across the
 * internet would try to reach.
 */
const HOST_CANDIDATE = /(candidate:\S+ \d+ \S+ \d+ )([0-9A-Fa-f:.]+)( \d+ typ host)/g;

/** `text` (a signalling body) with every host candidate's address replaced by `publicIp`. */
export function rewriteHostCandidates(text: string, publicIp: string): string {
  return text.replace(HOST_CANDIDATE, (_m, before: string, _addr: string, after: string) => `${before}${publicIp}${after}`);
}

/**
 * Behind 1:1 NAT (a cloud VM) the data channel's host candidates carry the private address:
 * rewrite the signalling answers this response writes (geckos.io writes each as one JSON
 * string, no Content-Length) so they announce `publicIp` instead. The UDP ports stay the same,
 * so the firewall must forward the configured port range.
 */
export function announceIp(res: ServerResponse, publicIp: string): void {
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') chunk = rewriteHostCandidates(chunk, publicIp);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
}
