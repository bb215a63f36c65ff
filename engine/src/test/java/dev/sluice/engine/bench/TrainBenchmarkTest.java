package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.models.BuiltModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainBenchmarkTest {

    private static final int SAMPLES = 700;
    private static final int SIDE = 10;
    private static final int BATCH = 64;
    private static final byte[] LABELS = new byte[SAMPLES];

    @TempDir
    static Path dir;
    private static Path root;

    @BeforeAll
    static void writeDataset() throws Exception {
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            classes.add("c" + i);
        }
        Schema schema = Schema.of(FieldSpec.of("image", DType.UINT8, SIDE, SIDE, 1),
                FieldSpec.of("label", DType.UINT8).withClasses(classes));
        root = dir.resolve("data");
        Random rnd = new Random(7);
        ByteBuffer px = ByteBuffer.allocate(SIDE * SIDE);
        ByteBuffer lab = ByteBuffer.allocate(1);
        try (FileStore store = new FileStore(root);
             DatasetWriter w = new DatasetWriter(store, "tiny", schema, 8 << 10, dir.resolve("staging"),
                     Map.of("image.layout", "HWC"), null)) {
            for (int i = 0; i < SAMPLES; i++) {
                int label = rnd.nextInt(10);
                LABELS[i] = (byte) label;
                for (int j = 0; j < SIDE * SIDE; j++) {
                    px.put(j, (byte) (j % SIDE == label ? 200 + rnd.nextInt(50) : rnd.nextInt(60)));
                }
                lab.put(0, (byte) label);
                w.add("train", px.clear(), lab.clear());
            }
            w.commit();
        }
    }

    private static TrainBenchmark bench(Dataset ds, int epochs) {
        return new TrainBenchmark(root.toString(), ds, "train",
                new TrainBenchmark.Settings("mlp", BATCH, 0.1f, epochs, 42));
    }

    @Test
    void trainerAndRawLoopTrainOnTheSameNumberOfSamples() throws Exception {
        try (FileStore store = new FileStore(root)) {
            Dataset ds = Dataset.open(store);
            TrainBenchmark bench = bench(ds, 2);
            try (TrainBenchmark.InMemorySplit data = TrainBenchmark.decode(ds, "train")) {
                TrainBenchmark.Measurement raw = bench.raw(data, 1);
                TrainBenchmark.Measurement trainer = bench.trainer(dir.resolve("run"), 1);
                // 700 samples, batches of 64, the partial batch dropped: 10 steps of 64 per epoch, 2 epochs
                assertEquals(20, raw.steps());
                assertEquals(1280, raw.samples());
                assertEquals(20, trainer.steps());
                assertEquals(1280, trainer.samples());
            }
        }
    }

    @Test
    void decodedSplitHoldsEverySampleInStoredOrder() throws Exception {
        try (FileStore store = new FileStore(root);
             TrainBenchmark.InMemorySplit data = TrainBenchmark.decode(Dataset.open(store), "train")) {
            assertEquals(SAMPLES, data.samples());
            assertEquals(new Shape(SAMPLES, 1, SIDE, SIDE), data.images().getShape());
            long[] labels = data.labels().toLongArray();
            for (int i = 0; i < SAMPLES; i++) {
                assertEquals(LABELS[i], labels[i], "label of sample " + i);
            }
        }
    }

    /**
     * The raw loop after k steps has the loss of the same k steps taken through DJL's own training API
     * (its Trainer, GradientCollector and SGD optimizer), from the same parameters.
     */
    @Test
    void rawLoopLossEqualsDjlTrainersAfterKSteps() throws Exception {
        int k = 5;
        float lr = 0.1f;
        try (FileStore store = new FileStore(root);
             TrainBenchmark.InMemorySplit data = TrainBenchmark.decode(Dataset.open(store), "train");
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            FeedSpec feed = FeedSpec.from(Dataset.open(store).manifest());
            BuiltModel raw = TrainBenchmark.initialModel(manager, "mlp", feed, 42);
            List<ByteBuffer> initial = new ArrayList<>();
            for (Pair<String, Parameter> p : raw.block().getParameters()) {
                initial.add(p.getValue().getArray().toByteBuffer());
            }
            float rawLoss = TrainBenchmark.rawLoop(raw, data, BATCH, lr, k);

            BuiltModel other = TrainBenchmark.initialModel(manager, "mlp", feed, 1234);
            float djlLoss;
            try (Model model = Model.newInstance("hand-run")) {
                model.setBlock(other.block());
                DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(lr)).build())
                        .optDevices(new Device[] {Device.cpu()});
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(new Shape(BATCH, 1, SIDE, SIDE));
                    ai.djl.nn.ParameterList params = other.block().getParameters();
                    for (int i = 0; i < params.size(); i++) {
                        params.get(i).getValue().getArray().set(initial.get(i));
                    }
                    djlLoss = Float.NaN;
                    Loss loss = Loss.softmaxCrossEntropyLoss();
                    for (int s = 0; s < k; s++) {
                        try (NDManager step = manager.newSubManager()) {
                            NDIndex rows = new NDIndex().addSliceDim((long) s * BATCH, (long) (s + 1) * BATCH);
                            NDArray x = data.images().get(step, rows);
                            NDArray y = data.labels().get(step, rows);
                            try (GradientCollector gc = trainer.newGradientCollector()) {
                                NDArray l = loss.evaluate(new NDList(y), trainer.forward(new NDList(x)));
                                gc.backward(l);
                                djlLoss = l.getFloat();
                            }
                            trainer.step();
                        }
                    }
                }
            }
            assertEquals(djlLoss, rawLoss, 1e-5f);
        }
    }
}
