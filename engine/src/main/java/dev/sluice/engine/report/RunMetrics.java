package dev.sluice.engine.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code step} and {@code epoch} records of a run's {@code metrics.jsonl}, in order.
 *
 * <p>A resumed run appends to the same file, so a step or an epoch can appear more than once; the
 * last record for a step number (or epoch number) wins, because it comes from the run that went on
 * from the checkpoint. A line that is not a JSON object (a run killed mid-write leaves a torn line,
 * which a resumed run then appends after) is skipped and counted in {@link #malformedLines()}.
 * Fields missing from a record read as NaN.
 */
public final class RunMetrics {

    /**
     * One {@code step} record.
     *
     * @param epoch epoch number from 1
     * @param step global optimizer step
     * @param loss training loss of that step
     * @param lr learning rate of that step
     * @param samplesPerSecond training samples per second so far in the epoch, all replicas
     */
    public record Step(int epoch, long step, double loss, double lr, double samplesPerSecond) {}

    /**
     * One {@code epoch} record.
     *
     * @param epoch epoch number from 1
     * @param steps optimizer steps in the epoch
     * @param trainLoss mean training loss
     * @param trainAccuracy training accuracy
     * @param evalLoss evaluation loss, or NaN
     * @param evalAccuracy evaluation accuracy, or NaN
     * @param seconds wall time of the epoch's training steps
     * @param samplesPerSecond training samples per second, all replicas
     * @param dataWaitFraction share of step time spent waiting for data
     * @param dataWaitMs mean data wait per step
     * @param hostToDeviceMs mean host-to-device time per step
     * @param computeMs mean forward/backward/update time per step
     * @param allReduceMs mean gradient all-reduce time per step
     */
    public record Epoch(int epoch, long steps, double trainLoss, double trainAccuracy, double evalLoss,
                        double evalAccuracy, double seconds, double samplesPerSecond, double dataWaitFraction,
                        double dataWaitMs, double hostToDeviceMs, double computeMs, double allReduceMs) {}

    /**
     * The last {@code summary} record.
     *
     * @param testAccuracy accuracy on the evaluation split after the last epoch, or NaN
     * @param evalSplit name of the evaluation split, or null
     * @param evalSamples samples behind {@code testAccuracy}
     * @param steps optimizer steps of the run
     * @param seconds wall time of the run
     */
    public record Summary(double testAccuracy, String evalSplit, long evalSamples, long steps, double seconds) {}

    private final List<Step> steps;
    private final List<Epoch> epochs;
    private final Summary summary;
    private final int malformedLines;

    private RunMetrics(List<Step> steps, List<Epoch> epochs, Summary summary, int malformedLines) {
        this.steps = List.copyOf(steps);
        this.epochs = List.copyOf(epochs);
        this.summary = summary;
        this.malformedLines = malformedLines;
    }

    /**
     * Reads a metrics file.
     *
     * @throws NoSuchFileException naming the file when it does not exist
     */
    public static RunMetrics read(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r);
        }
    }

    /** Parses JSON lines. */
    public static RunMetrics parse(Reader in) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        Map<Long, Step> steps = new TreeMap<>();
        Map<Integer, Epoch> epochs = new TreeMap<>();
        Summary summary = null;
        int malformed = 0;
        for (String line; (line = r.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o;
            try {
                JsonElement e = JsonParser.parseString(line);
                if (!e.isJsonObject()) {
                    malformed++;
                    continue;
                }
                o = e.getAsJsonObject();
            } catch (JsonParseException e) {
                malformed++;
                continue;
            }
            String event = text(o, "event");
            if ("step".equals(event) && o.has("step")) {
                Step s = new Step((int) integer(o, "epoch"), integer(o, "step"), number(o, "loss"), number(o, "lr"),
                        number(o, "samples_per_s"));
                steps.put(s.step(), s);
            } else if ("epoch".equals(event) && o.has("epoch")) {
                Epoch e = new Epoch((int) integer(o, "epoch"), integer(o, "steps"), number(o, "train_loss"),
                        number(o, "train_accuracy"), number(o, "eval_loss"), number(o, "eval_accuracy"),
                        number(o, "seconds"), number(o, "samples_per_s"), number(o, "data_wait_fraction"),
                        number(o, "data_wait_ms"), number(o, "h2d_ms"), number(o, "compute_ms"),
                        number(o, "allreduce_ms"));
                epochs.put(e.epoch(), e);
            } else if ("summary".equals(event)) {
                summary = new Summary(number(o, "test_accuracy"), text(o, "eval_split"), integer(o, "eval_samples"),
                        integer(o, "steps"), number(o, "seconds"));
            }
        }
        return new RunMetrics(new ArrayList<>(steps.values()), new ArrayList<>(epochs.values()), summary, malformed);
    }

    /** Step records by step number, the last record for each step. */
    public List<Step> steps() {
        return steps;
    }

    /** Epoch records by epoch number, the last record for each epoch. */
    public List<Epoch> epochs() {
        return epochs;
    }

    /** The last summary record, or null if the run did not finish. */
    public Summary summary() {
        return summary;
    }

    /** Lines skipped because they were not JSON objects. */
    public int malformedLines() {
        return malformedLines;
    }

    private static String text(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || !e.isJsonPrimitive() ? null : e.getAsString();
    }

    /** A number, NaN when absent or not a number ({@code NaN} and {@code Infinity} literals included). */
    private static double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(e.getAsString());
        } catch (NumberFormatException x) {
            return Double.NaN;
        }
    }

    private static long integer(JsonObject o, String key) {
        double v = number(o, key);
        return Double.isNaN(v) ? 0 : (long) v;
    }
}
