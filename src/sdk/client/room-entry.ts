import type { WelcomeMessage } from '../../../shared/protocol/control-messages';
import { ClientState } from '../client-state';
import { TickSync } from '../tick-sync';
import type { ClientCore } from './client-core';

/**
 * Entering a room, and leaving one behind: a first WELCOME sets up every per-room part (the
 * snapshot decoders, the playback and input clocks, the input ring, the roster); a resumed
 * WELCOME takes the seat back (the unapplied inputs resent, the roster brought up to date);
 * {@link resetRoom} forgets it all before a move to a new seat.
 */
export class RoomEntry<S, I, P> {
  constructor(private readonly core: ClientCore<S, I, P>) {}

  /** WELCOME: a first join (or a move's new seat) sets the room up; a resume takes the seat back. */
  onWelcome(w: WelcomeMessage): void {
    const core = this.core;
    if (!core.receiver.accept(w)) return;
    if (core.state === ClientState.Reconnecting && core.welcome) {
      this.onResumed(w);
      return;
    }
    if (core.state !== ClientState.Connecting) return;
    if (core.welcome && core.welcome.roomId !== w.roomId) core.talk.chat.clearRoom();
    core.welcome = w;
    core.state = ClientState.Open;
    core.setup = { seed: 0, tickRate: w.tickRate };
    core.receiver.startPlayback(w);
    core.roster.start(w);
    // Inputs are stamped from the tick the input clock starts at (see InputPipeline.start).
    core.sync = new TickSync(w.tickRate, core.options.tickSync);
    core.sync.start(core.clock.now(), w.tick, core.link.joinRoundTrip());
    core.inputs.start(w);
    core.link.initialResume = undefined;
    if (core.link.pingIntervalMs > 0) core.link.ping();
    core.emit('welcome', w);
    core.keeper.arrivedAfterMove(w);
  }

  /**
   * The seat is back. Inputs the server never applied are sent again (it applied up to
   * `lastSeq`; its queue drops any it already has), and the roster is brought up to date.
   */
  private onResumed(w: WelcomeMessage): void {
    const core = this.core;
    const keeper = core.keeper;
    const downtimeMs = core.clock.now() - keeper.droppedAt;
    const attempts = keeper.attempts;
    core.welcome = w;
    core.state = ClientState.Open;
    keeper.droppedAt = Number.NaN;
    keeper.attempts = 0;
    core.stats.resumes++;
    // The server used every tick up to lastSeq: our inputs after it are resent (the ones whose
    // ticks have since passed are refused as late), and the input clock is placed afresh.
    core.inputs.takeAck(w.lastSeq);
    core.inputs.resendPending();
    core.sync?.start(core.clock.now(), w.tick, core.link.joinRoundTrip());
    core.roster.onResumed(w);
    if (core.link.pingIntervalMs > 0) core.link.ping();
    core.emit('welcome', w);
    core.emit('resumed', { attempts, downtimeMs });
    keeper.arrivedAfterRoomMove(w);
  }

  /** Forget the room: what the next WELCOME sets up again. */
  resetRoom(): void {
    const core = this.core;
    core.sync?.stop();
    core.sync = undefined;
    core.setup = undefined;
    core.roster.reset();
    core.receiver.reset();
    core.reconciler.reset();
    core.sampler.reset();
    core.inputs.reset();
  }
}
