package dev.sluice.engine.train;

import java.util.LinkedHashMap;
import java.util.Map;

/** Writes the run's events to {@code metrics.jsonl} (the chief only); the schema is in the README. */
final class MetricsListener implements TrainingListener {

    private final MetricsLog log;
    private final int logEvery;
    private final String evalSplit;
    private final int tokensPerSample;

    /** @param tokensPerSample T of a token dataset (its epochs also log tokens/s), 0 for images */
    MetricsListener(MetricsLog log, int logEvery, String evalSplit, int tokensPerSample) {
        this.log = log;
        this.logEvery = logEvery;
        this.evalSplit = evalSplit;
        this.tokensPerSample = tokensPerSample;
    }

    @Override
    public void onStep(StepEvent s) {
        if (!s.updated()) {
            log.event("skipped").put("step", s.step()).put("loss", s.agreedLoss()).write();
        }
        if (s.step() % logEvery == 0 || s.step() == s.totalSteps()) {
            log.event("step").put("epoch", s.epoch()).put("step", s.step()).put("loss", (double) s.loss())
                    .put("lr", s.lr()).put("samples_per_s", s.samplesPerSecond()).write();
        }
    }

    @Override
    public void onEpochTrained(EpochSummary s, EpochEnd end) {
        EpochIo io = s.io();
        log.event("loader").put("epoch", s.epoch()).put("bytes_read", io.bytesRead())
                .put("requests", io.requests()).put("retries", io.retries())
                .put("hedges", io.hedges()).put("shards", io.shardLoads())
                .put("cache_hits", io.cacheHits()).put("cache_hit_rate", io.cacheHitRate())
                .put("data_wait_s", io.dataWaitSeconds()).write();
    }

    @Override
    public void onEpochEnd(EpochSummary s) throws Exception {
        MetricsLog.Event ev = log.event("epoch");
        epochFields(s, tokensPerSample).forEach(ev::put);
        ev.write();
        log.flush();
    }

    @Override
    public void onTrainingEnd(TrainResult r) throws Exception {
        MetricsLog.Event ev = log.event("summary");
        summaryFields(r, evalSplit).forEach(ev::put);
        ev.write();
        log.flush();
    }

    /**
     * The fields of an {@code epoch} event (also printed by {@code --json}); with
     * {@code tokensPerSample} above 0 also {@code tokens_per_s}, the samples' scored tokens per second.
     */
    static Map<String, Object> epochFields(EpochSummary s, int tokensPerSample) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "epoch");
        m.put("epoch", s.epoch());
        m.put("steps", s.steps());
        m.put("train_loss", s.trainLoss());
        m.put("train_accuracy", s.trainAccuracy());
        m.put("eval_loss", s.evalLoss());
        m.put("eval_accuracy", s.evalAccuracy());
        m.put("seconds", s.seconds());
        m.put("samples_per_s", s.samplesPerSecond());
        if (tokensPerSample > 0) {
            m.put("tokens_per_s", s.samplesPerSecond() * tokensPerSample);
        }
        m.put("data_wait_fraction", s.dataWaitFraction());
        m.put("data_wait_ms", s.timing().dataWaitMs());
        m.put("h2d_ms", s.timing().hostToDeviceMs());
        m.put("compute_ms", s.timing().computeMs());
        m.put("allreduce_ms", s.timing().allReduceMs());
        return m;
    }

    /** The fields of the {@code summary} event (also printed by {@code --json}). */
    static Map<String, Object> summaryFields(TrainResult r, String evalSplit) {
        // like the steps, the epochs count from the start of the run, also after a resume
        int epochs = r.epochs().get(r.epochs().size() - 1).epoch();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "summary");
        m.put("test_accuracy", r.evalAccuracy());
        m.put("eval_split", evalSplit);
        m.put("eval_correct", r.evalCorrect());
        m.put("eval_samples", r.evalSamples());
        m.put("epochs", epochs);
        m.put("steps", r.steps());
        m.put("seconds", r.seconds());
        m.put("run_dir", r.runDir().toAbsolutePath().toString());
        m.put("stopped", r.stopped());
        m.put("last_checkpoint", r.lastCheckpoint());
        m.put("skipped_batches", r.skippedBatches());
        return m;
    }
}
