package dev.sluice.engine.train;

/**
 * One concern of a training run (metrics, checkpoints, progress, plots), called by the step loop
 * at fixed points. The loop itself only steps; what happens around a step lives in a listener.
 * Listeners run on the replica thread that calls them; a listener that throws fails the run.
 */
interface TrainingListener {

    /**
     * An epoch's training steps are about to start.
     *
     * @param already steps of the epoch trained before a resume (0 unless resumed mid-epoch)
     * @param steps steps this run will take in the epoch
     */
    default void onEpochBegin(int epoch, long already, long steps) throws Exception {}

    /** After one step (updated or skipped), gradients zeroed. */
    default void onStep(StepEvent step) throws Exception {}

    /**
     * After the epoch's last training step (or a stop), before evaluation.
     *
     * @param summary the epoch's training figures (no evaluation yet)
     * @param end where the epoch ended
     */
    default void onEpochTrained(EpochSummary summary, EpochEnd end) throws Exception {}

    /** After an epoch that was not stopped, with its evaluation. */
    default void onEpochEnd(EpochSummary summary) throws Exception {}

    /** On the thread that started the run, after every replica finished. */
    default void onTrainingEnd(TrainResult result) throws Exception {}
}
