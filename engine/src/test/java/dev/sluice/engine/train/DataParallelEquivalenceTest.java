package dev.sluice.engine.train;

import static dev.sluice.engine.train.DataParallelFixture.STEPS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.collective.InProcessGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data parallelism changes nothing but speed: two CPU replicas with batch B, gradients averaged
 * through {@link CollectiveGradientSync} over an {@link InProcessGroup}, end a 20-step run with the
 * parameters of one replica trained on the same samples with batch 2B (to float rounding), for SGD
 * with momentum and for AdamW; and the two replicas are bit-identical to each other. The same across
 * two processes over TCP is {@link DataParallelMultiProcessTest}.
 */
class DataParallelEquivalenceTest {

    /** Relative tolerance: gradients of a 2B batch and the mean of two B halves differ only in rounding. */
    static final double TOLERANCE = 1e-5;

    /**
     * @param optimizer sgd or adamw
     * @param packing {@code host}: gradients packed into host buckets ({@link CollectiveGradientSync}, the CPU
     *     path); {@code device}: packed with tensor ops on the replica's device and reduced through the
     *     bucket's address ({@link DeviceGradientSync}, the GPU path with NCCL, here over CPU tensors)
     */
    @ParameterizedTest(name = "{0}, {1} packing")
    @CsvSource({"sgd, host", "adamw, host", "sgd, device", "adamw, device"})
    void twoReplicasWithHalfBatchesEqualOneReplicaWithTheWholeBatch(String optimizer, String packing)
            throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        InProcessGroup group = new InProcessGroup(2, Duration.ofSeconds(60));
        InProcessGroup scalars = new InProcessGroup(2, Duration.ofSeconds(60));
        try (Replica single = DataParallelFixture.replica(0, 7);
             Replica r0 = DataParallelFixture.replica(0, 11);
             Replica r1 = DataParallelFixture.replica(1, 13);
             GradientSync s0 = packing.equals("host") ? new CollectiveGradientSync(group.member(0))
                     : new DeviceGradientSync(group.member(0), new CollectiveGradientSync(scalars.member(0)));
             GradientSync s1 = packing.equals("host") ? new CollectiveGradientSync(group.member(1))
                     : new DeviceGradientSync(group.member(1), new CollectiveGradientSync(scalars.member(1)))) {
            float[][] initial = DataParallelFixture.parameters(r0);
            assertNotEquals(DataParallelFixture.digest(r0), DataParallelFixture.digest(r1),
                    "different seeds: rank 1 only matches rank 0 if the initial broadcast works");
            DataParallelFixture.copyParameters(r0, single);
            assertEquals(DataParallelFixture.digest(r0), DataParallelFixture.digest(single));

            List<Future<Void>> ranks = new ArrayList<>();
            ranks.add(threads.submit(() -> {
                DataParallelFixture.trainHalf(r0, s0, optimizer);
                return null;
            }));
            ranks.add(threads.submit(() -> {
                DataParallelFixture.trainHalf(r1, s1, optimizer);
                return null;
            }));
            DataParallelFixture.trainWhole(single, optimizer);
            for (Future<Void> f : ranks) {
                f.get(120, TimeUnit.SECONDS);
            }

            assertEquals(DataParallelFixture.digest(r0), DataParallelFixture.digest(r1),
                    "replicas must stay bit-identical after " + STEPS + " steps");
            float[][] expected = DataParallelFixture.parameters(single);
            float[][] actual = DataParallelFixture.parameters(r0);
            double difference = Arrays.stream(DataParallelFixture.relativeDifferences(expected, actual)).max()
                    .orElseThrow();
            double moved = Arrays.stream(DataParallelFixture.relativeDifferences(expected, initial)).min()
                    .orElseThrow();
            assertTrue(difference <= TOLERANCE, optimizer + ": 2 x B differs from 2B by " + difference
                    + " (relative), more than " + TOLERANCE);
            // the comparison means something only if training moved every tensor far more than that
            assertTrue(moved > 100 * TOLERANCE, optimizer + ": some parameter moved only " + moved);
        } finally {
            threads.shutdownNow();
            group.members().forEach(c -> c.close());
            scalars.members().forEach(c -> c.close());
        }
    }
}
