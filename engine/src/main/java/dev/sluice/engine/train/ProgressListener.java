package dev.sluice.engine.train;

import java.util.Locale;

/** What the person watching sees: the progress of each epoch and a summary when it ends. */
final class ProgressListener implements TrainingListener {

    private final Console console;
    private final int epochs;
    private final int samplesPerStep;
    private final String evalSplit;
    private final int tokensPerSample;
    private Console.Progress bar;
    private long already;
    private long steps;
    private boolean lastComplete = true;

    /**
     * @param evalSplit the split evaluated after each epoch, or null
     * @param tokensPerSample T of a token dataset (whose epochs also show tokens/s), 0 for images
     */
    ProgressListener(Console console, int epochs, int samplesPerStep, String evalSplit, int tokensPerSample) {
        this.console = console;
        this.epochs = epochs;
        this.samplesPerStep = samplesPerStep;
        this.evalSplit = evalSplit;
        this.tokensPerSample = tokensPerSample;
    }

    @Override
    public void onEpochBegin(int epoch, long already, long steps) {
        this.already = already;
        this.steps = steps;
        bar = console.epoch(epoch, epochs, already, steps, samplesPerStep);
    }

    @Override
    public void onStep(StepEvent s) {
        bar.step(s.loss());
    }

    @Override
    public void onEpochTrained(EpochSummary summary, EpochEnd end) {
        lastComplete = end.complete();
        close();
    }

    /** Ends the bar of an epoch that failed half-way. */
    void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void onEpochEnd(EpochSummary s) {
        String evalPart = Double.isNaN(s.evalAccuracy()) ? ""
                : String.format(Locale.ROOT, " | %s loss %.4f acc %.4f", evalSplit, s.evalLoss(), s.evalAccuracy());
        console.line(String.format(Locale.ROOT,
                "epoch %d/%d: train loss %.4f acc %.4f%s | %.1f s, %,.1f samples/s%s, data wait %.1f%%",
                s.epoch(), epochs, s.trainLoss(), s.trainAccuracy(), evalPart, s.seconds(),
                s.samplesPerSecond(), tokensPerSample <= 0 ? ""
                        : String.format(Locale.ROOT, " (%,.0f tokens/s)", s.samplesPerSecond() * tokensPerSample),
                s.dataWaitFraction() * 100));
        if (already > 0) {
            // the steps before the resume were summed by the interrupted attempt, not this one
            console.line(String.format(Locale.ROOT, "  (resumed at step %d of %d of this epoch: train loss and"
                    + " accuracy are over the last %d steps)", already + 1, already + steps, s.steps()));
        }
        StepTiming t = s.timing();
        console.line(String.format(Locale.ROOT,
                "  per step %.2f ms: data wait %.2f, host-to-device %.2f, compute %.2f, all-reduce %.2f",
                t.totalMs(), t.dataWaitMs(), t.hostToDeviceMs(), t.computeMs(), t.allReduceMs()));
        if (s.io() != null) {
            console.line("  " + s.io().line());
        }
        console.json(MetricsLog.json(MetricsListener.epochFields(s, tokensPerSample)));
    }

    @Override
    public void onTrainingEnd(TrainResult r) {
        int lastEpoch = r.epochs().get(r.epochs().size() - 1).epoch();
        // a step limit can end the run inside an epoch: then it did not train whole epochs
        String after = lastComplete ? String.format(Locale.ROOT, "%d epoch(s)", lastEpoch)
                : String.format(Locale.ROOT, "%d steps (%d whole epoch(s) and part of epoch %d)", r.steps(),
                        lastEpoch - 1, lastEpoch);
        if (r.stopped()) {
            console.line(String.format(Locale.ROOT, "stopped at step %d on request; checkpoint %s; continue with"
                    + " --resume --run-dir %s", r.steps(), r.lastCheckpoint(), r.runDir()));
        } else if (Double.isNaN(r.evalAccuracy())) {
            console.line(String.format(Locale.ROOT, "done: %d steps in %.1f s (no evaluation split)", r.steps(),
                    r.seconds()));
        } else {
            // labelled with the split evaluated (test, val or the one asked for)
            console.line(String.format(Locale.ROOT, "%s accuracy %.4f (%d/%d samples) after %s, %.1f s",
                    evalSplit, r.evalAccuracy(), r.evalCorrect(), r.evalSamples(), after, r.seconds()));
        }
        console.json(MetricsLog.json(MetricsListener.summaryFields(r, evalSplit)));
    }
}
