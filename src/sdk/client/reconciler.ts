import type { ClientCore } from './client-core';

/**
 * Client-side prediction's correction: after each snapshot, the predicted local player
 * (`core.predicted`) is reset to the server's state as of the newest input it applied, and
 * the inputs it has not applied yet are replayed on top. Counts how often, and how far, the
 * prediction had to move (`stats.mispredictions`, `correction*`).
 */
export class Reconciler<S, I, P> {
  /** The prediction before the reset, to measure the correction; made at the first reconcile. */
  private beforeReconcile: P | undefined;

  constructor(private readonly core: ClientCore<S, I, P>) {}

  /** Forget the prediction (a new room): the first snapshot there starts it afresh. */
  reset(): void {
    this.core.predicted = undefined;
    this.beforeReconcile = undefined;
  }

  /** Reset the prediction to the server's state at `ackedSeq`, then replay the newer inputs. */
  reconcile(): void {
    const core = this.core;
    const predictor = core.game.predictor;
    const setup = core.setup;
    if (!predictor || !setup) return;
    const latest = core.receiver.latest;
    const row = latest.indexOf(core.playerId);
    if (row < 0) {
      core.predicted = undefined;
      return;
    }
    const inputs = core.inputs;
    const stats = core.stats;
    const hadPrediction = core.predicted !== undefined;
    const p = (core.predicted ??= predictor.create(setup));
    const before = (this.beforeReconcile ??= predictor.create(setup));
    predictor.copy(p, before);
    predictor.reset(latest, row, p);
    for (let s = inputs.ackedSeq + 1; s < inputs.nextSeq; s++) predictor.step(p, inputs.pendingInputs[s % inputs.pendingCapacity], setup);
    if (hadPrediction && !predictor.equals(p, before)) {
      stats.mispredictions++;
      const size = predictor.distance ? predictor.distance(p, before) : 1;
      if (size > 0.5) stats.correctionsOverHalfUnit++;
      if (size > stats.correctionMax) stats.correctionMax = size;
      stats.correctionTotal += size;
    }
  }
}
