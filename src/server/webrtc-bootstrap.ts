import type { DatagramTimers } from '../../shared/datagram/datagram-link';
import type { WebRtcHost } from '../transport/webrtc/webrtc-gateway';
import type { WebRtcGatewayLike, WebRtcOptions } from '../transport/webrtc/webrtc-options';

/**
 * Start the WebRTC gateway. geckos.io (and its native WebRTC stack) is loaded only here: a
 * WebSocket-only server never needs it installed (it is an optional peer dependency).
 * `maxPayloadBytes` is the largest message a client may send, as on WebSocket.
 */
export async function startWebRtcGateway(options: WebRtcOptions, host: WebRtcHost, maxPayloadBytes: number): Promise<WebRtcGatewayLike> {
  let mod: typeof import('../transport/webrtc/webrtc-gateway');
  try {
    mod = await import('../transport/webrtc/webrtc-gateway');
  } catch (err) {
    throw new Error(
      `WebRTC needs @geckos.io/server 3.1 on node-datachannel 0.33: npm install @geckos.io/server@~3.1.0 node-datachannel@~0.33.4, with "overrides": { "node-datachannel": "$node-datachannel" } in your package.json (${(err as Error).message})`,
    );
  }
  return new mod.WebRtcGateway(options, host, realTimers, maxPayloadBytes);
}

// Real time, not the server's clock: retransmissions run on the network's time, as TCP's do
// for WebSocket (a test's ManualClock would freeze them).
const realTimers: DatagramTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
