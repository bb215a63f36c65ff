package dev.sluice.engine.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.models.Mlp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter in DJL's own training loop, and what its batches hold: float32 NCHW normalized with
 * the dataset's statistics, int64 labels, the right samples, a new shuffled order per epoch, and
 * every pooled host buffer back when the dataset closes.
 */
class SluiceDatasetTest {

    @TempDir
    static Path tmp;

    static Path bands;
    static Path rgb;

    static final float[] MEAN = {0.1f, 0.2f, 0.3f};
    static final float[] STD = {0.5f, 0.25f, 0.2f};

    @BeforeAll
    static void write() throws Exception {
        bands = TestDatasets.bands(tmp.resolve("bands"), 2000, 500);
        rgb = TestDatasets.write(tmp.resolve("rgb"), 4, 5, 3, Map.of("image.layout", "HWC",
                "image.mean", "0.1,0.2,0.3", "image.std", "0.5, 0.25, 0.2"), 50, 10);
    }

    @Test
    void easyTrainLearnsFromTheStreamedSplit() throws Exception {
        DirectAllocator trainMemory = new DirectAllocator();
        DirectAllocator testMemory = new DirectAllocator();
        TrainingResult result;
        try (SluiceDataset train = SluiceDataset.builder().data(bands.toString()).split("train").batchSize(50)
                     .seed(3).batchMemory(trainMemory).build();
             SluiceDataset test = SluiceDataset.builder().data(bands.toString()).split("test").batchSize(64)
                     .evaluation().batchMemory(testMemory).build();
             Model model = Model.newInstance("bands-mlp", Device.cpu())) {
            train.prepare();
            assertEquals(10, train.numClasses());
            assertEquals(new Shape(1, 1, 12, 12), train.inputShape(1));
            assertEquals(40, train.batchesPerEpoch());
            Engine.getInstance().setRandomSeed(5);
            model.setBlock(Mlp.build(new int[] {64}, train.numClasses()));
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build())
                    .optDevices(new Device[] {Device.cpu()})
                    .addEvaluator(new Accuracy())
                    .addTrainingListeners(TrainingListener.Defaults.basic());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(train.inputShape(1));
                EasyTrain.fit(trainer, 3, train, test);
                result = trainer.getTrainingResult();
            }
            assertEquals(3, train.nextEpoch());
            assertEquals(3, test.nextEpoch());
            assertEquals(3 * 40, train.loaderMetrics().snapshot().batches());
            assertEquals(3 * 500, test.loaderMetrics().snapshot().samples()); // every test sample, each epoch
            assertTrue(trainMemory.liveBytes() > 0, "the pool stays allocated while the dataset is open");
        }
        // closing the loader fails if any host batch is still out; then all memory is freed
        assertEquals(0, trainMemory.liveBytes());
        assertEquals(0, testMemory.liveBytes());
        assertEquals(3, result.getEpoch());
        float trainAcc = result.getTrainEvaluation("Accuracy");
        float testAcc = result.getValidateEvaluation("Accuracy");
        assertTrue(trainAcc >= 0.9f, "training accuracy " + trainAcc);
        assertTrue(testAcc >= 0.9f, "validation accuracy " + testAcc);
    }

    @Test
    void batchesAreNormalizedNchwFloatsWithInt64LabelsOfTheRightSamples() throws Exception {
        try (SluiceDataset ds = SluiceDataset.builder().data(rgb.toString()).split("train").batchSize(16)
                     .evaluation().build();
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            List<Integer> sizes = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            for (Batch b : ds.getData(manager)) {
                try (b) {
                    NDArray x = b.getData().singletonOrThrow();
                    NDArray y = b.getLabels().singletonOrThrow();
                    int n = b.getSize();
                    sizes.add(n);
                    assertEquals(DataType.FLOAT32, x.getDataType());
                    assertEquals(new Shape(n, 3, 4, 5), x.getShape());
                    assertEquals(DataType.INT64, y.getDataType());
                    assertEquals(new Shape(n), y.getShape());
                    assertEquals(4, b.getProgressTotal());
                    assertEquals(sizes.size() - 1, b.getProgress());
                    float[] xs = x.toFloatArray();
                    long[] ys = y.toLongArray();
                    for (int i = 0; i < n; i++) {
                        long id = (Long) b.getIndices().get(i);
                        ids.add(id);
                        assertEquals(TestDatasets.label(id), ys[i], "label of sample " + id);
                        for (int c = 0; c < 3; c++) {
                            for (int h = 0; h < 4; h++) {
                                for (int w = 0; w < 5; w++) {
                                    int stored = TestDatasets.bandsPixel(id, (h * 5 + w) * 3 + c, 5, 3);
                                    float want = (stored / 255f - MEAN[c]) / STD[c];
                                    float got = xs[((i * 3 + c) * 4 + h) * 5 + w];
                                    assertEquals(want, got, 1e-5f, "sample " + id + " at c" + c + " h" + h + " w" + w);
                                }
                            }
                        }
                    }
                }
            }
            // evaluation: stored order, every sample once, the final partial batch kept
            assertEquals(List.of(16, 16, 16, 2), sizes);
            List<Long> all = new ArrayList<>();
            for (long i = 0; i < 50; i++) {
                all.add(i);
            }
            assertEquals(all, ids);
        }
    }

    @Test
    void eachGetDataIsTheNextShuffledEpochAndTheOrderFollowsTheSeed() throws Exception {
        List<Long> e0;
        List<Long> e1;
        List<Long> e0again;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            try (SluiceDataset ds = SluiceDataset.builder().data(bands.toString()).batchSize(100).seed(11)
                    .build()) {
                assertEquals(0, ds.nextEpoch());
                e0 = order(ds.getData(manager));
                assertEquals(1, ds.nextEpoch());
                e1 = order(ds.getData(manager));
                assertEquals(2, ds.nextEpoch());
            }
            try (SluiceDataset ds = SluiceDataset.builder().data(bands.toString()).batchSize(100).seed(11)
                    .build()) {
                e0again = order(ds.getData(manager));
            }
        }
        assertEquals(2000, e0.size());
        assertEquals(2000, new HashSet<>(e0).size(), "every sample once per epoch");
        assertEquals(new HashSet<>(e0), new HashSet<>(e1));
        assertNotEquals(e0, e1, "epochs are shuffled differently");
        assertEquals(e0, e0again, "same seed and epoch, same order");
        List<Long> sorted = new ArrayList<>(e0);
        sorted.sort(null);
        assertNotEquals(sorted, e0, "training order is shuffled");
    }

    @Test
    void abandonedAndTruncatedEpochsGiveTheirBuffersBack() throws Exception {
        DirectAllocator memory = new DirectAllocator();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            try (SluiceDataset ds = SluiceDataset.builder().data(bands.toString()).batchSize(20).seed(1)
                    .maxBatchesPerEpoch(3).batchMemory(memory).build()) {
                // walk away after one batch: the next epoch ends this one
                Iterator<Batch> it = ds.getData(manager).iterator();
                it.next().close();
                // capped epochs: exactly 3 batches, reported as the whole epoch
                Iterable<Batch> epoch = ds.getData(manager);
                int n = 0;
                for (Batch b : epoch) {
                    try (b) {
                        assertEquals(3, b.getProgressTotal());
                        n++;
                    }
                }
                assertEquals(3, n);
                // iterating the same epoch again replays it
                int again = 0;
                for (Batch b : epoch) {
                    b.close();
                    again++;
                }
                assertEquals(3, again);
                // and one left open mid-way when the dataset closes
                Iterator<Batch> open = ds.getData(manager).iterator();
                open.next().close();
                assertTrue(open.hasNext());
            }
            assertEquals(0, memory.liveBytes(), "every pooled batch buffer was returned and freed");
            assertEquals(memory.allocations(), memory.frees());
        }
    }

    @Test
    void usingAClosedDatasetOrAMissingSplitFailsClearly() throws Exception {
        SluiceDataset ds = SluiceDataset.builder().data(bands.toString()).split("validation").build();
        Exception e = assertThrows(Exception.class, ds::prepare);
        assertTrue(e.getMessage().contains("validation"), e.getMessage());
        ds.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, ds::prepare);
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SluiceDataset.builder().build());
        assertThrows(IllegalArgumentException.class,
                () -> SluiceDataset.builder().data(bands.toString()).batchSize(0).build());
    }

    private static List<Long> order(Iterable<Batch> epoch) {
        List<Long> out = new ArrayList<>();
        for (Batch b : epoch) {
            try (b) {
                for (Object id : b.getIndices()) {
                    out.add((Long) id);
                }
            }
        }
        return out;
    }
}
