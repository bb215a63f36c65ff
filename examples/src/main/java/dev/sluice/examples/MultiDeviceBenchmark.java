package dev.sluice.examples;

import ai.djl.engine.Engine;
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.device.Devices;
import dev.sluice.engine.train.EpochSummary;
import dev.sluice.engine.train.TrainResult;
import dev.sluice.engine.train.TrainingRun;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains the same model for a fixed number of steps on several device sets and prints throughput
 * and scaling efficiency. Each replica gets the same batch (weak scaling), so N replicas ideally
 * process N times the samples per second of one:
 * {@code efficiency = samples/s(N replicas) / (N * samples/s(1 replica))}.
 *
 * <pre>
 * java -cp examples/target/classes:engine/target/train.jar dev.sluice.examples.MultiDeviceBenchmark \
 *     [--data DIR|s3://...] [--devices cpu:1 --devices cpu:2] [--model mlp] [--batch-size 64] [--steps 200]
 * </pre>
 *
 * Without {@code --devices} it compares one GPU with all GPUs when DJL's PyTorch engine can use two
 * or more (a CUDA build of the PyTorch natives), else {@code cpu:1} with {@code cpu:2}. The times cover training steps only (no evaluation); a
 * short untimed run first loads the native libraries and warms up.
 */
public final class MultiDeviceBenchmark {

    /**
     * One measured configuration.
     *
     * @param devices the device spec trained on
     * @param replicas data-parallel replicas
     * @param steps optimizer steps taken (each replica)
     * @param samples training samples processed, all replicas
     * @param seconds wall time of the training steps
     * @param samplesPerSecond {@code samples / seconds}
     * @param efficiency throughput per replica relative to the first configuration's
     */
    public record Measurement(String devices, int replicas, long steps, long samples, double seconds,
                              double samplesPerSecond, double efficiency) {}

    private MultiDeviceBenchmark() {}

    static final List<String> OPTIONS = List.of("data", "devices", "model", "batch-size", "steps", "warmup-steps",
                "run-dir");

    public static void main(String[] args) throws Exception {
        int code = Args.main("MultiDeviceBenchmark", OPTIONS, args, System.out, System.err, MultiDeviceBenchmark::run);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs as {@link #main} does, printing to {@code out}; returns one measurement per device spec. */
    public static List<Measurement> run(String[] args, PrintStream out) throws Exception {
        Args a = new Args(args, OPTIONS);
        Path runRoot = Path.of(a.get("run-dir", "runs/multi-device-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        String data = DemoDataset.resolve(a.get("data", null), runRoot.resolveSibling("example-data"), out);
        List<String> devices = a.all("devices").isEmpty() ? defaultDevices(Devices.djlGpuCount())
                : a.all("devices");
        String model = a.get("model", "mlp");
        int batch = a.getInt("batch-size", 64);
        int steps = a.getInt("steps", 200);
        int warmup = a.getInt("warmup-steps", Math.min(50, steps));

        if (warmup > 0) {
            train(data, devices.get(0), model, batch, warmup, runRoot.resolve("warmup"));
        }
        out.printf(Locale.ROOT, "%s, batch %d per replica, %d steps on %s%n", model, batch, steps, data);
        out.printf(Locale.ROOT, "%-16s %8s %12s %9s %8s%n", "devices", "replicas", "samples/s", "seconds",
                "scaling");
        List<Measurement> results = new ArrayList<>();
        double perReplicaBase = Double.NaN;
        for (String spec : devices) {
            TrainResult r = train(data, spec, model, batch, steps, runRoot.resolve(spec.replace(':', '-')
                    .replace(',', '_')));
            double seconds = 0;
            double samples = 0;
            for (EpochSummary e : r.epochs()) {
                seconds += e.seconds();
                samples += e.samplesPerSecond() * e.seconds();
            }
            long total = Math.round(samples);
            int replicas = (int) Math.round((double) total / ((double) r.steps() * batch));
            double rate = total / seconds;
            if (results.isEmpty()) {
                perReplicaBase = rate / replicas;
            }
            Measurement m = new Measurement(spec, replicas, r.steps(), total, seconds, rate,
                    rate / (replicas * perReplicaBase));
            results.add(m);
            out.printf(Locale.ROOT, "%-16s %8d %,12.0f %9.2f %7.1f%%%n", spec, replicas, rate, seconds,
                    m.efficiency() * 100);
        }
        return results;
    }

    /** What to compare when no {@code --devices} is given, for the GPUs the engine sees. */
    public static List<String> defaultDevices(int gpus) {
        if (gpus < 2) {
            return List.of("cpu:1", "cpu:2");
        }
        StringBuilder all = new StringBuilder("cuda:0");
        for (int i = 1; i < gpus; i++) {
            all.append(',').append(i);
        }
        return List.of("cuda:0", all.toString());
    }

    private static TrainResult train(String data, String devices, String model, int batch, int steps, Path runDir)
            throws Exception {
        // the trainer narrows PyTorch's intra-op threads for several CPU replicas (cores / replicas)
        // and leaves the setting alone for one: start every configuration from all cores
        Engine.getInstance(); // loads the PyTorch natives first
        PyTorchInternals.setIntraOpThreads(Runtime.getRuntime().availableProcessors());
        return TrainingRun.builder()
                .data(data)
                .model(model)
                .devices(devices)
                .batchSize(batch)
                .learningRate(1e-3f)
                .epochs(10_000) // the step limit ends the run
                .maxSteps(steps)
                .evalSplit(null)
                .runDir(runDir)
                .build()
                .call();
    }
}
