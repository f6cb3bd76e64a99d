import type { IncomingMessage, ServerResponse } from 'node:http';

/** WebRTC (geckos.io data channels) beside WebSocket. Off unless `enabled`. */
export interface WebRtcOptions {
  /** Accept players over WebRTC (default false). */
  enabled?: boolean;
  /**
   * UDP ports the data channels use (default 0-65535: any). Open this range in the firewall;
   * one port per connected player at most.
   */
  portRange?: { min: number; max: number };
  /** STUN/TURN servers handed to both ends (default none: fine on a LAN or a public host). */
  iceServers?: RTCIceServer[];
  /**
   * The address to announce in ICE candidates instead of the host's own, behind 1:1 NAT (a
   * cloud VM with a private address and a public one). Default: the host's addresses.
   */
  publicIp?: string;
  /**
   * How long an admitted signalling attempt may go without an open data channel, ms (default
   * 10000). Until then it counts as an open, unjoined connection of its address; past it (or
   * as soon as ICE fails or the client closes it) its peer connection is closed and the count
   * given back. Room for ICE through STUN/TURN, which takes seconds at worst.
   */
  connectDeadlineMs?: number;
  /**
   * Admitted attempts waiting for their channel at once, over all addresses (default 256).
   * Each holds a native peer connection (libwebrtc, with its threads) until it opens or its
   * deadline passes; past this, new ones are refused with 503 until some end.
   */
  maxPendingAttempts?: number;
}

/** Counters every WebRTC transport adds to (one object per gateway). */
export interface WebRtcCounters {
  /** Unreliable messages (snapshots) dropped because the data channel's buffer was full. */
  datagramsDropped: number;
  /** Reliable messages sent again after no acknowledgement. */
  retransmits: number;
}

/** What the server holds of its WebRTC gateway (the class itself loads geckos.io). */
export interface WebRtcGatewayLike {
  readonly counters: WebRtcCounters;
  /** Channels opened, and signalling attempts refused. */
  readonly opened: number;
  readonly refused: number;
  /** Admitted attempts waiting for their data channel, and those given up (failed, closed, timed out). */
  readonly attemptsPending: number;
  readonly attemptsAbandoned: number;
  /** Signalling bodies refused for size (413), and body bytes read off signalling requests. */
  readonly bodiesRefused: number;
  readonly bodyBytesRead: number;
  /** Answer a signalling request from `ip`. */
  handle(req: IncomingMessage, res: ServerResponse, ip: string): void;
  /** Take no more channels. */
  dispose(): void;
}
