import { WireError } from '../../shared/binary/wire-error';
import { DatagramLink, type DatagramTimers } from '../../shared/datagram/datagram-link';
import { MessageType } from '../../shared/protocol/message-types';
import { SocketHandlers, type WebSocketLike } from './socket-like';

/** WebRTC settings of the SDK. */
export interface WebRtcClientOptions {
  /** STUN/TURN servers (default none: enough on a LAN or against a public host). */
  iceServers?: RTCIceServer[];
  /**
   * An RTCPeerConnection for hosts without one (Node: `await import('node-datachannel/polyfill')`);
   * installed on `globalThis` with its companions if the host has none (geckos.io's client
   * reads the globals). Browsers need nothing.
   */
  wrtc?: { RTCPeerConnection: unknown; RTCSessionDescription?: unknown; RTCIceCandidate?: unknown };
  /** `transport: 'auto'` gives WebRTC this long to connect before falling back, ms (default 3000). */
  timeoutMs?: number;
}

/** The part of a geckos.io client channel used here. */
interface GeckosChannel {
  onConnect(cb: (error?: Error) => void): unknown;
  onDisconnect(cb: () => void): void;
  onRaw(cb: (raw: unknown) => void): void;
  raw: { emit(message: ArrayBuffer | Uint8Array): void };
  close(): void;
}
/** What of a geckos.io 3 client channel's insides `finish` reads (lib/geckos/channel.js, lib/wrtc/connectionsManager.js). */
interface GeckosChannelInternals {
  /** `http(s)://host:port`, where the signalling goes. */
  url?: string;
  /** Set once the channel is open. */
  peerConnection?: { localPeerConnection?: { close(): void } };
  /** From the first signalling request on: the peer connection and the server's id for it. */
  connectionsManager?: { localPeerConnection?: { close(): void }; remotePeerConnection?: { id?: string } };
}
type GeckosFactory = (options: { url: string; port: number; iceServers?: RTCIceServer[]; label?: string }) => GeckosChannel;

/** Messages the client sends once (a lost one is replaced by the next): inputs and acks. */
function unreliable(bytes: Uint8Array): boolean {
  return bytes[0] === MessageType.Input || bytes[0] === MessageType.Ack;
}

/** A close's last reliable message gets this long to be acknowledged before the channel goes, ms. */
const CLOSE_LINGER_MS = 500;

let geckosLoad: Promise<GeckosFactory> | undefined;
/** geckos.io's client, loaded on first use: a WebSocket-only page never downloads it. */
function loadGeckos(): Promise<GeckosFactory> {
  return (geckosLoad ??= Promise.all([import('@geckos.io/client'), import('@geckos.io/client/lib/wrtc/connectionsManager.js')]).then(
    ([m, cm]) => {
      quietCandidateFetches(cm);
      const d = (m as { default: unknown }).default as { default?: GeckosFactory } | GeckosFactory;
      return (typeof d === 'function' ? d : d.default) as GeckosFactory;
    },
  ));
}

/** The part of geckos.io 3's client connections manager `quietCandidateFetches` replaces. */
interface CandidateFetcher {
  dataChannel?: { readyState: string };
  localPeerConnection?: { signalingState: string; addIceCandidate(c: RTCIceCandidateInit): Promise<void> };
  fetchAdditionalCandidates?: (host: string, id: string) => Promise<void>;
  tickwireQuiet?: boolean;
}

/**
 * geckos.io 3's client asks the server for more ICE candidates ten times over the ~6 s after
 * signalling, and adds each without waiting on `addIceCandidate`'s promise: once the peer
 * connection is closed (a fallback, a drop) every one becomes an unhandled rejection. The same
 * requests, made here with every failure dropped (the host candidates are in the offer already:
 * these are a courtesy), and none made for a closed peer connection.
 */
function quietCandidateFetches(module: unknown): void {
  const cls = (module as { default?: { prototype?: CandidateFetcher } }).default;
  const proto = cls?.prototype;
  if (!proto?.fetchAdditionalCandidates || proto.tickwireQuiet) return;
  proto.fetchAdditionalCandidates = async function (this: CandidateFetcher, host: string, id: string) {
    const closed = () => this.dataChannel?.readyState === 'closed' || this.localPeerConnection?.signalingState === 'closed';
    if (closed()) return;
    const res = await fetch(`${host}/connections/${id}/additional-candidates`, { method: 'GET' });
    if (!res.ok) return;
    const candidates = (await res.json()) as RTCIceCandidateInit[];
    for (const c of candidates) if (!closed()) this.localPeerConnection?.addIceCandidate(c).catch(() => undefined);
  };
  proto.tickwireQuiet = true;
}

/** Where the server says whether it takes WebRTC (see `WEBRTC_STATUS_PATH` on the server). */
export const WEBRTC_STATUS_PATH = '/.wrtc/status';
/** geckos.io 3's signalling paths. */
const SIGNAL_PREFIX = '/.wrtc/v2';
/** The reason a WebRtcSocket closes with when the server has WebRTC off (no error: a fact). */
export const WEBRTC_OFF_REASON = 'WebRTC is off on this server';

/**
 * Ask the server whether it takes WebRTC before signalling: a server with it off says so in a
 * 200 (`{"webrtc":"off"}`), so nothing is logged as an error in a browser console (a 404 is,
 * and geckos.io's client logs a refused signalling request with console.error). True when the
 * server says on or cannot say (an older server: signalling decides).
 */
async function webRtcOffered(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}${WEBRTC_STATUS_PATH}`, { method: 'GET' });
    if (!res.ok) return true;
    const body = (await res.json()) as { webrtc?: unknown };
    return body.webrtc !== 'off';
  } catch {
    return true;
  }
}

/**
 * A WebRTC data channel to the server (geckos.io, unordered, no retransmits) with the shape of
 * a WebSocket, so `TickwireClient` uses it unchanged. Inputs and acks go once; JOIN, PING and
 * the rest go reliable and in order through a {@link DatagramLink}; the server's close code
 * and reason come on that stream too (data channels carry none).
 *
 * `url` is the game's WebSocket URL (`ws://host:port/ws`): signalling goes to the same host and
 * port over HTTP(S).
 */
export class WebRtcSocket extends SocketHandlers implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  /** Inputs and acks go once on an unordered channel with no retransmits: they may be lost. */
  readonly unreliable = true;
  private channel: GeckosChannel | undefined;
  private readonly link: DatagramLink;
  private closedAlready = false;

  constructor(url: string, options: WebRtcClientOptions, timers: DatagramTimers) {
    super();
    this.link = new DatagramLink((d) => this.put(d), timers);
    this.link.onMessage = (bytes) => this.onmessage?.({ data: bytes.slice() });
    this.link.onClose = (code, reason) => this.finish(code, reason);
    if (options.wrtc) {
      const g = globalThis as Record<string, unknown>;
      g.RTCPeerConnection ??= options.wrtc.RTCPeerConnection;
      if (options.wrtc.RTCSessionDescription) g.RTCSessionDescription ??= options.wrtc.RTCSessionDescription;
      if (options.wrtc.RTCIceCandidate) g.RTCIceCandidate ??= options.wrtc.RTCIceCandidate;
    }
    const u = new URL(url);
    const secure = u.protocol === 'wss:' || u.protocol === 'https:';
    const port = Number(u.port) || (secure ? 443 : 80);
    const base = `${secure ? 'https' : 'http'}://${u.hostname}`;
    Promise.all([loadGeckos(), webRtcOffered(`${base}:${port}`)]).then(
      ([geckos, offered]) => {
        if (this.closedAlready) return;
        if (!offered) {
          this.finish(1000, WEBRTC_OFF_REASON);
          return;
        }
        const channel = geckos({ url: base, port, iceServers: options.iceServers ?? [] });
        this.channel = channel;
        channel.onRaw((raw) => this.onDatagram(raw));
        channel.onDisconnect(() => this.finish(1006, 'webrtc channel lost'));
        const connecting = channel.onConnect((error) => {
          if (this.closedAlready) {
            channel.close();
            return;
          }
          if (error) {
            this.onerror?.({ message: `webrtc: ${error.message}` });
            this.finish(1006, `webrtc: ${error.message}`);
            return;
          }
          this.readyState = 1;
          this.onopen?.({});
        });
        // geckos.io lets some signalling failures (a server that went away mid-handshake)
        // escape as a rejected promise: a failed attempt, not a crash.
        Promise.resolve(connecting).catch((err: Error) => {
          this.onerror?.({ message: `webrtc: ${err.message}` });
          this.finish(1006, `webrtc: ${err.message}`);
        });
      },
      (err: Error) => {
        this.onerror?.({ message: `webrtc: ${err.message}` });
        this.finish(1006, `webrtc: ${err.message}`);
      },
    );
  }

  get bufferedAmount(): number {
    return this.link.unackedBytes;
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) return;
    if (unreliable(data)) this.link.sendUnreliable(data);
    else this.link.sendReliable(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    if (this.readyState === 0) {
      this.finish(code, reason);
      return;
    }
    this.readyState = 2;
    // The close goes after everything sent; the channel closes when it is acknowledged.
    this.link.sendClose(code, reason);
    const started = Date.now();
    const check = () => {
      if (this.closedAlready) return;
      if (this.link.allAcked || Date.now() - started >= CLOSE_LINGER_MS) this.finish(code, reason);
      else setTimeout(check, 10);
    };
    setTimeout(check, 10);
  }

  terminate(): void {
    this.finish(1006, '');
  }

  /** One datagram onto the channel; a channel that closed under us throws, and its close event follows. */
  private put(datagram: Uint8Array): void {
    // Straight onto the data channel: geckos.io's emit defers the send to a microtask, where a
    // channel closing in between becomes an unhandled rejection.
    const dc = (
      this.channel as unknown as { peerConnection?: { dataChannel?: { readyState: string; send(d: Uint8Array): void } } } | undefined
    )?.peerConnection?.dataChannel;
    if (dc?.readyState !== 'open') return;
    try {
      dc.send(datagram);
    } catch {
      // Closed: the disconnect ends this socket.
    }
  }

  private onDatagram(raw: unknown): void {
    if (this.closedAlready) return;
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
    try {
      this.link.receive(bytes);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.onerror?.({ message: `webrtc: malformed datagram: ${err.message}` });
      this.finish(1006, `malformed datagram from the server: ${err.message}`);
    }
  }

  /** Over: close the channel and report `code` once. */
  private finish(code: number, reason: string): void {
    if (this.closedAlready) return;
    const wasOpen = this.readyState === 1 || this.readyState === 2;
    this.closedAlready = true;
    this.readyState = 3;
    this.link.dispose();
    // The peer connection itself, not geckos' close(): that also posts a close notice to the
    // server, which our own close frame has made redundant, and which fails loudly once the
    // server is gone (a drop, a shutdown). The server sees the data channel close. Until the
    // channel opens, geckos keeps the peer connection on its connections manager only.
    const channel = this.channel as unknown as GeckosChannelInternals | undefined;
    const pc = channel?.peerConnection?.localPeerConnection ?? channel?.connectionsManager?.localPeerConnection;
    try {
      pc?.close();
    } catch {
      // Already closed.
    }
    // Given up before the channel opened ('auto' falling back, ICE failing): the server holds
    // the attempt (a slot of this address) until its deadline unless told. A courtesy: if it
    // fails, the deadline frees the slot all the same.
    const id = channel?.connectionsManager?.remotePeerConnection?.id;
    if (!wasOpen && id && channel?.url && typeof fetch === 'function')
      fetch(`${channel.url}${SIGNAL_PREFIX}/connections/${id}/close`, { method: 'POST' }).catch(() => undefined);
    this.onclose?.({ code, reason });
  }
}
