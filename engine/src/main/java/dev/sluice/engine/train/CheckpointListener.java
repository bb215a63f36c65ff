package dev.sluice.engine.train;

import dev.sluice.data.loader.LoaderState;

/**
 * When checkpoints are taken: on a stop request, every {@code --checkpoint-every} steps, at the end
 * of a complete epoch (positioned at the next epoch's start), and where the step limit ends a run
 * inside an epoch. Every replica runs it; only the chief's {@link Saver} writes.
 */
final class CheckpointListener implements TrainingListener {

    /** Saves a checkpoint at the current step; {@code epochsDone} and the loader position go in it. */
    interface Saver {
        void save(long epochsDone, LoaderState position) throws Exception;
    }

    private final long every;
    private final Saver saver;

    CheckpointListener(long every, Saver saver) {
        this.every = every;
        this.saver = saver;
    }

    @Override
    public void onStep(StepEvent s) throws Exception {
        if (s.stopRequested() || onCadence(s.step())) {
            saver.save(s.epoch() - 1, s.position().get());
        }
    }

    @Override
    public void onEpochTrained(EpochSummary summary, EpochEnd end) throws Exception {
        if (end.stopped()) {
            return; // saved at the step that saw the request
        }
        if (end.complete()) {
            saver.save(end.epoch(), end.next());
        } else if (!onCadence(end.step())) {
            // the step limit ended the run inside the epoch: its last checkpoint holds the position
            // in this epoch, not the start of the next
            saver.save(end.epoch() - 1, end.position());
        }
    }

    private boolean onCadence(long step) {
        return every > 0 && step % every == 0;
    }
}
