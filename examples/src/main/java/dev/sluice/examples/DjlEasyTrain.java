package dev.sluice.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingResult;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.sluice.engine.djl.SluiceDataset;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * DJL's own training loop ({@link EasyTrain#fit}) on a Sluice dataset streamed by {@link
 * SluiceDataset}: DJL does the training, Sluice the data.
 *
 * <pre>
 * java -cp examples/target/classes:engine/target/train.jar dev.sluice.examples.DjlEasyTrain \
 *     [--data DIR|s3://bucket/prefix] [--model mlp] [--epochs 2] [--batch-size 64]
 * </pre>
 */
public final class DjlEasyTrain {

    /**
     * What DJL's trainer reports after the last epoch.
     *
     * @param epochs epochs trained
     * @param trainAccuracy accuracy on the training batches of the last epoch
     * @param validateAccuracy accuracy on the whole test split after the last epoch
     * @param trainBatches training batches streamed in all
     */
    public record Result(int epochs, float trainAccuracy, float validateAccuracy, long trainBatches) {}

    private DjlEasyTrain() {}

    static final List<String> OPTIONS = List.of("data", "model", "epochs", "batch-size", "scratch");

    public static void main(String[] args) throws Exception {
        int code = Args.main("DjlEasyTrain", OPTIONS, args, System.out, System.err, DjlEasyTrain::run);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Trains as {@link #main} does, printing to {@code out}. */
    public static Result run(String[] args, PrintStream out) throws Exception {
        Args a = new Args(args, OPTIONS);
        String data = DemoDataset.resolve(a.get("data", null), Path.of(a.get("scratch", "runs/example-data")), out);
        int epochs = a.getInt("epochs", 2);
        int batch = a.getInt("batch-size", 64);

        try (SluiceDataset train = SluiceDataset.builder().data(data).split("train").batchSize(batch).seed(7).build();
             SluiceDataset test = SluiceDataset.builder().data(data).split("test").batchSize(256).evaluation().build();
             Model model = Model.newInstance("sluice-" + a.get("model", "mlp"))) {
            train.prepare();
            InputSpec input = InputSpec.image(train.feed().imageField(), train.feed().channels(),
                    train.feed().height(), train.feed().width());
            Engine.getInstance().setRandomSeed(7);
            model.setBlock(ModelRegistry.builtIn().create(a.get("model", "mlp"), input, train.numClasses()).block());

            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(2e-3f)).build())
                    .addEvaluator(new Accuracy())
                    .addTrainingListeners(TrainingListener.Defaults.basic());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(train.inputShape(1));
                EasyTrain.fit(trainer, epochs, train, test);
                TrainingResult r = trainer.getTrainingResult();
                Result result = new Result(r.getEpoch(), r.getTrainEvaluation("Accuracy"),
                        r.getValidateEvaluation("Accuracy"), train.loaderMetrics().snapshot().batches());
                out.printf(Locale.ROOT, "DjlEasyTrain: %d epochs, %d batches streamed; train accuracy %.4f,"
                        + " test accuracy %.4f%n", result.epochs(), result.trainBatches(), result.trainAccuracy(),
                        result.validateAccuracy());
                return result;
            }
        }
    }
}
