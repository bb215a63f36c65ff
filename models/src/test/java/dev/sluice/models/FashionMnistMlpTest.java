package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The default model reaches at least 0.85 test accuracy on Fashion-MNIST in 3 epochs of Adam (lr
 * 1e-3, batch 128), with pixels going in as uint8 and turned into float [0, 1] by the engine, as
 * the trainer does on the device. About 5-10 s on 2 cores.
 *
 * <p>Needs the four original {@code *-idx?-ubyte.gz} files: from {@code -Dsluice.fashionMnist=DIR},
 * else Debian's {@code dataset-fashion-mnist} package (/usr/share/datasets/fashion-mnist); skipped
 * when neither is there.
 */
class FashionMnistMlpTest {
    private static final int EPOCHS = 3;
    private static final int BATCH = 128;
    private static final int PIXELS = 28 * 28;
    private static final String DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

    @Test
    void mlpReachesTarget() throws IOException {
        Path root = Path.of(System.getProperty("sluice.fashionMnist", DEBIAN_DIR));
        assumeTrue(Files.isRegularFile(root.resolve("train-images-idx3-ubyte.gz")),
                "no Fashion-MNIST in " + root + ": install dataset-fashion-mnist or set"
                        + " -Dsluice.fashionMnist=DIR");
        byte[] trainX = idx(root.resolve("train-images-idx3-ubyte.gz"), 2051, 16);
        byte[] trainY = idx(root.resolve("train-labels-idx1-ubyte.gz"), 2049, 8);
        byte[] testX = idx(root.resolve("t10k-images-idx3-ubyte.gz"), 2051, 16);
        byte[] testY = idx(root.resolve("t10k-labels-idx1-ubyte.gz"), 2049, 8);
        assertEquals(60_000, trainY.length);
        assertEquals(10_000, testY.length);

        Engine.getInstance().setRandomSeed(42);
        BuiltModel m = ModelRegistry.builtIn()
                .create(ModelRegistry.DEFAULT_MODEL, InputSpec.image("image", 1, 28, 28), 10);
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                Model model = Model.newInstance("fashion", Device.cpu())) {
            model.setBlock(m.block());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam()
                            .optLearningRateTracker(Tracker.fixed(1e-3f)).build())
                    .optDevices(new Device[] {Device.cpu()});
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(m.inputShape(BATCH));
                int[] order = new int[trainY.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Random rnd = new Random(42);
                byte[] bx = new byte[BATCH * PIXELS];
                byte[] by = new byte[BATCH];
                for (int epoch = 0; epoch < EPOCHS; epoch++) {
                    shuffle(order, rnd);
                    for (int b = 0; b + BATCH <= order.length; b += BATCH) {
                        for (int i = 0; i < BATCH; i++) {
                            System.arraycopy(trainX, order[b + i] * PIXELS, bx, i * PIXELS, PIXELS);
                            by[i] = trainY[order[b + i]];
                        }
                        try (NDManager step = manager.newSubManager();
                                GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray x = toFloat(step, bx, BATCH);
                            NDArray y = step.create(ByteBuffer.wrap(by), new Shape(BATCH),
                                    DataType.UINT8).toType(DataType.INT64, false);
                            NDArray logits = trainer.forward(new NDList(x)).singletonOrThrow();
                            gc.backward(trainer.getLoss().evaluate(new NDList(y), new NDList(logits)));
                        }
                        trainer.step();
                    }
                }
                long correct = 0;
                for (int b = 0; b < testY.length; b += 1000) {
                    try (NDManager step = manager.newSubManager()) {
                        byte[] chunk = new byte[1000 * PIXELS];
                        System.arraycopy(testX, b * PIXELS, chunk, 0, chunk.length);
                        NDArray pred = trainer.evaluate(new NDList(toFloat(step, chunk, 1000)))
                                .singletonOrThrow().argMax(1);
                        long[] p = pred.toLongArray();
                        for (int i = 0; i < p.length; i++) {
                            correct += p[i] == testY[b + i] ? 1 : 0;
                        }
                    }
                }
                double accuracy = correct / (double) testY.length;
                System.out.printf("Fashion-MNIST mlp: test accuracy %.4f after %d epochs, %.1f s%n",
                        accuracy, EPOCHS, (System.nanoTime() - start) / 1e9);
                assertTrue(accuracy >= 0.85, "test accuracy " + accuracy);
            }
        }
    }

    /** uint8 pixels in, float [0, 1] NCHW out, converted by the engine as on the device. */
    private static NDArray toFloat(NDManager manager, byte[] pixels, int n) {
        return manager.create(ByteBuffer.wrap(pixels), new Shape(n, 1, 28, 28), DataType.UINT8)
                .toType(DataType.FLOAT32, false)
                .div(255f);
    }

    private static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The payload of an IDX file after its header, checked against the expected magic. */
    private static byte[] idx(Path file, int magic, int headerBytes) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file));
                DataInputStream data = new DataInputStream(in)) {
            int got = data.readInt();
            if (got != magic) {
                throw new IOException(file + ": IDX magic " + got + ", expected " + magic);
            }
            data.skipNBytes(headerBytes - 4);
            return data.readAllBytes();
        }
    }
}
