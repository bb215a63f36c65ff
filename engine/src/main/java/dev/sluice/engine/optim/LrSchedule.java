package dev.sluice.engine.optim;

/**
 * Learning rate per step: linear warmup from {@code base/warmup} to {@code base} over
 * {@code warmup} steps, then constant or cosine decay to {@code base * minRatio} at
 * {@code total} steps.
 *
 * @param base peak learning rate
 * @param warmup warmup steps (0 for none)
 * @param total total steps of the run
 * @param cosine cosine decay after warmup (false: constant)
 * @param minRatio final learning rate as a fraction of the peak
 */
public record LrSchedule(float base, long warmup, long total, boolean cosine, float minRatio) {

    /** Learning rate of step {@code step} (from 0). */
    public float at(long step) {
        if (warmup > 0 && step < warmup) {
            return base * (step + 1) / warmup;
        }
        if (!cosine || total <= warmup) {
            return base;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        double factor = minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
        return (float) (base * factor);
    }
}
