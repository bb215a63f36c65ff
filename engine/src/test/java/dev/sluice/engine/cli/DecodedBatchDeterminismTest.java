package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import dev.sluice.data.image.ImageStage;
import dev.sluice.engine.djl.SluiceDataset;
import dev.sluice.engine.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoded, augmented batches as the training side sees them ({@link SluiceDataset}, float32 NCHW
 * after normalization): the same seed gives the same bytes in two runs and in a run that starts at
 * a later epoch (a resume at an epoch boundary); another seed gives other crops. Ranks are covered at
 * the loader level by DecodeStageTest.
 */
class DecodedBatchDeterminismTest {

    @TempDir
    static Path tmp;

    static Path data;

    static final TrainConfig.Inputs RRC_FLIP = new TrainConfig.Inputs(null, null, 24, ImageStage.Crop.RANDOM_RESIZED,
            true, null, false, "auto");

    @BeforeAll
    static void jpegs() throws Exception {
        assumeTrue(Files.isDirectory(JpegFolders.FASHION), "install Debian's dataset-fashion-mnist");
        Path folder = tmp.resolve("folder");
        JpegFolders.write(folder, "train", "train", 300, 5);
        JpegFolders.write(folder, "test", "t10k", 50, 6);
        data = JpegFolders.ingest(folder, tmp);
    }

    /** Every batch's inputs and labels of {@code epochs} epochs from {@code firstEpoch}, as raw floats and longs. */
    static List<String> batches(long seed, long firstEpoch, int epochs, boolean evaluation) throws Exception {
        List<String> out = new ArrayList<>();
        SluiceDataset.Builder b = SluiceDataset.builder().data(data.toString()).split(evaluation ? "test" : "train")
                .batchSize(32).seed(seed).firstEpoch(firstEpoch).inputs(RRC_FLIP).loader(2, 1);
        if (evaluation) {
            b.evaluation();
        }
        try (SluiceDataset ds = b.build(); NDManager m = NDManager.newBaseManager()) {
            for (int e = 0; e < epochs; e++) {
                for (Batch batch : ds.getData(m)) {
                    try (batch) {
                        out.add(Arrays.toString(batch.getData().head().toFloatArray())
                                + Arrays.toString(batch.getLabels().head().toLongArray()));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void sameSeedSameAugmentedBatchesAcrossRunsAndFromALaterEpoch() throws Exception {
        List<String> run1 = batches(7, 0, 2, false);
        List<String> run2 = batches(7, 0, 2, false);
        assertEquals(18, run1.size(), "300 images, batch 32, last partial batch dropped: 9 per epoch");
        assertArrayEquals(run1.toArray(), run2.toArray(), "two runs with one seed");
        List<String> fromEpoch1 = batches(7, 1, 1, false);
        assertArrayEquals(run1.subList(9, 18).toArray(), fromEpoch1.toArray(), "a run starting at epoch 1");
        assertFalse(run1.subList(0, 9).equals(run1.subList(9, 18)), "epochs differ");
        List<String> other = batches(8, 0, 1, false);
        assertFalse(other.equals(run1.subList(0, 9)), "another seed draws other crops");
    }

    @Test
    void evaluationBatchesDoNotDependOnTheSeed() throws Exception {
        // centre crop, no flip, stored order: nothing random
        assertArrayEquals(batches(1, 0, 1, true).toArray(), batches(2, 0, 1, true).toArray());
    }
}
