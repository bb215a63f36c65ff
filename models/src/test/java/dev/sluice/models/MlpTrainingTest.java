package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The MLP learns through a real DJL trainer: 50 Adam steps on separable synthetic images (each
 * class a fixed random pattern plus noise) bring the loss far down and the accuracy near 1.
 */
class MlpTrainingTest {
    private static final int CLASSES = 4;
    private static final int SIDE = 8;
    private static final int SAMPLES = 512;
    private static final int BATCH = 64;
    private static final int STEPS = 50;

    @Test
    void lossDecreasesOnSeparableData() {
        Engine.getInstance().setRandomSeed(7);
        BuiltModel m = ModelRegistry.builtIn()
                .create("mlp", InputSpec.image("pixels", 1, SIDE, SIDE), CLASSES);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                Model model = Model.newInstance("mlp", Device.cpu())) {
            float[][] data = syntheticData(new Random(11));
            NDArray x = manager.create(data[0], new Shape(SAMPLES, 1, SIDE, SIDE));
            NDArray y = manager.create(data[1], new Shape(SAMPLES));

            model.setBlock(m.block());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam()
                            .optLearningRateTracker(Tracker.fixed(1e-3f)).build())
                    .optDevices(new Device[] {Device.cpu()});
            float[] losses = new float[STEPS];
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(m.inputShape(BATCH));
                int batchesPerEpoch = SAMPLES / BATCH;
                for (int step = 0; step < STEPS; step++) {
                    int from = (step % batchesPerEpoch) * BATCH;
                    try (NDManager stepManager = manager.newSubManager()) {
                        NDArray bx = x.get("{}:{}", from, from + BATCH);
                        NDArray by = y.get("{}:{}", from, from + BATCH);
                        bx.attach(stepManager);
                        by.attach(stepManager);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray logits = trainer.forward(new NDList(bx)).singletonOrThrow();
                            NDArray loss = trainer.getLoss()
                                    .evaluate(new NDList(by), new NDList(logits));
                            gc.backward(loss);
                            losses[step] = loss.getFloat();
                        }
                        trainer.step();
                    }
                }
                NDArray predicted = trainer.evaluate(new NDList(x)).singletonOrThrow().argMax(1);
                float accuracy = predicted.toType(y.getDataType(), false).eq(y)
                        .sum().getLong() / (float) SAMPLES;

                float first = mean(losses, 0, 5);
                float last = mean(losses, STEPS - 5, STEPS);
                assertTrue(last < 0.1f * first,
                        "loss should fall at least 10x: first steps " + first + ", last " + last);
                assertTrue(accuracy >= 0.98f, "training accuracy " + accuracy);
            }
        }
    }

    /** {images, labels}: class k is pattern k (values 0..1) plus N(0, 0.3) noise. */
    private static float[][] syntheticData(Random rnd) {
        int pixels = SIDE * SIDE;
        float[][] patterns = new float[CLASSES][pixels];
        for (float[] p : patterns) {
            for (int i = 0; i < pixels; i++) {
                p[i] = rnd.nextFloat();
            }
        }
        float[] images = new float[SAMPLES * pixels];
        float[] labels = new float[SAMPLES];
        for (int s = 0; s < SAMPLES; s++) {
            int k = rnd.nextInt(CLASSES);
            labels[s] = k;
            for (int i = 0; i < pixels; i++) {
                images[s * pixels + i] = patterns[k][i] + 0.3f * (float) rnd.nextGaussian();
            }
        }
        return new float[][] {images, labels};
    }

    private static float mean(float[] a, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s / (to - from);
    }
}
