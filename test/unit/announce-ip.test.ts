import { describe, expect, it } from 'vitest';
import { rewriteHostCandidates } from '../../src/transport/webrtc/announce-ip';

describe('announcing a public address behind NAT', () => {
  it('rewrites host candidates in SDP and candidate strings, and leaves the rest alone', () => {
    const sdp =
      'v=0\\r\\na=candidate:1 1 udp 2122260223 10.0.0.5 50001 typ host generation 0\\r\\na=candidate:2 1 udp 1686052607 198.51.100.2 50001 typ srflx raddr 10.0.0.5 rport 50001\\r\\n';
    const out = rewriteHostCandidates(JSON.stringify({ sdp }), '203.0.113.7');
    expect(out).toContain('candidate:1 1 udp 2122260223 203.0.113.7 50001 typ host');
    expect(out).toContain('198.51.100.2 50001 typ srflx raddr 10.0.0.5'); // not a host candidate
    expect(rewriteHostCandidates('[{"candidate":"candidate:3 1 udp 2122194687 fe80::1 50002 typ host"}]', '203.0.113.7')).toBe(
      '[{"candidate":"candidate:3 1 udp 2122194687 203.0.113.7 50002 typ host"}]',
    );
  });
});
