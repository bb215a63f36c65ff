package dev.sluice.examples;

import dev.sluice.engine.train.TrainResult;
import dev.sluice.engine.train.TrainingRun;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Training from a Java program through the embedding API, {@link TrainingRun}: a few lines
 * configure the run, {@code call()} trains and evaluates, the result holds the accuracy.
 *
 * <pre>
 * java -cp examples/target/classes:engine/target/train.jar dev.sluice.examples.EmbeddedTraining \
 *     [--data DIR|s3://bucket/prefix] [--model mlp] [--epochs 2] [--run-dir runs/embedded-TIME]
 * </pre>
 */
public final class EmbeddedTraining {

    private EmbeddedTraining() {}

    static final List<String> OPTIONS = List.of("data", "model", "epochs", "run-dir");

    public static void main(String[] args) throws Exception {
        int code = Args.main("EmbeddedTraining", OPTIONS, args, System.out, System.err, EmbeddedTraining::run);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Trains as {@link #main} does, printing to {@code out}; returns the run's result. */
    public static TrainResult run(String[] args, PrintStream out) throws Exception {
        Args a = new Args(args, OPTIONS);
        Path runDir = Path.of(a.get("run-dir", "runs/embedded-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        String data = DemoDataset.resolve(a.get("data", null), runDir.resolveSibling("example-data"), out);

        // the embedding API: everything else has the CLI's defaults
        TrainResult result = TrainingRun.builder()
                .data(data)
                .model(a.get("model", "mlp"))
                .epochs(a.getInt("epochs", 2))
                .batchSize(64)
                .learningRate(3e-3f)
                .runDir(runDir)
                .output(out)
                .build()
                .call();

        out.printf(Locale.ROOT, "EmbeddedTraining: test accuracy %.4f (%d/%d) after %d epochs, %d steps, %.1f s%n",
                result.evalAccuracy(), result.evalCorrect(), result.evalSamples(), result.epochs().size(),
                result.steps(), result.seconds());
        return result;
    }
}
