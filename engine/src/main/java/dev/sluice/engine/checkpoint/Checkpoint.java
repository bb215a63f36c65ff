package dev.sluice.engine.checkpoint;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to continue a run exactly: parameters and buffers, optimizer state, the
 * loader's position, the step and epoch, the RNG scheme, and the configuration it was taken under.
 *
 * @param step optimizer steps completed
 * @param epoch epoch (from 0) the loader is in
 * @param loaderState the loader state as JSON ({@code LoaderState.toJson()})
 * @param optimizerSteps the optimizer's own step counter
 * @param skippedBatches batches skipped for a non-finite loss up to {@code step} (kept across a resume)
 * @param config the settings a resumed run must match, by name (printable)
 * @param tensors named tensors: {@code param/..}, {@code buffer/..}, {@code opt/..}
 */
public record Checkpoint(long step, long epoch, String loaderState, long optimizerSteps, long skippedBatches,
                         Map<String, String> config,
                         Map<String, Tensor> tensors) {

    public Checkpoint {
        config = Map.copyOf(config);
        tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * A tensor's bytes as stored: little-endian elements in row-major order.
     *
     * @param dtype DJL data type name, e.g. {@code float32}
     * @param shape dimensions
     * @param data the bytes (position 0 to limit)
     */
    public record Tensor(String dtype, List<Long> shape, ByteBuffer data) {}

    /**
     * Settings that later versions record and earlier ones did not: a checkpoint without one was
     * taken before it existed, and it is not compared ({@code decoder} since 2026-12-03).
     */
    private static final java.util.Set<String> ADDED_LATER = java.util.Set.of("decoder");

    /**
     * A setting as this version writes it. Builds before 2026-12-03 wrote a run of decoded images
     * without {@code --normalize} as {@code normalize=null} where this one writes
     * {@code normalize=auto}: the same setting, so such checkpoints still resume.
     */
    private static String asWrittenNow(String key, String stored) {
        return "images".equals(key) && stored != null ? stored.replace("normalize=null", "normalize=auto") : stored;
    }

    /**
     * Names of the settings whose values differ from {@code current}, with both values, or an empty
     * string if they all match. A setting of {@link #ADDED_LATER} that this checkpoint does not
     * record is not compared.
     */
    public String differences(Map<String, String> current) {
        StringBuilder sb = new StringBuilder();
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(config.keySet());
        keys.addAll(current.keySet());
        for (String k : keys) {
            String a = asWrittenNow(k, config.get(k));
            String b = current.get(k);
            if (a == null && ADDED_LATER.contains(k)) {
                continue;
            }
            if (a == null ? b != null : !a.equals(b)) {
                sb.append(sb.length() == 0 ? "" : "; ").append(k).append(": checkpoint has ").append(a)
                        .append(", this run has ").append(b);
            }
        }
        return sb.toString();
    }
}
