package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.collective.ReduceOp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Replicas in one process: when a replica other than rank 0 fails outside a collective call (its
 * loader, its forward pass), rank 0, waiting for it in the next all-reduce, is released at once and
 * the job fails with the replica's own error, not after the group's 30-minute timeout.
 */
class ReplicaFailureTest {

    @Test
    void rankOneFailingReleasesRankZeroWaitingInACollective() {
        InProcessGroup group = new InProcessGroup(2, Duration.ofMinutes(30));
        List<Collective> collectives = new ArrayList<>(group.members());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<EpochSummary>>> futures = new ArrayList<>();
            futures.add(pool.submit(Trainer.leavingOnFailure(() -> {
                collectives.get(0).allReduce(ByteBuffer.allocateDirect(8), ElementType.FLOAT64, ReduceOp.AVG);
                return List.<EpochSummary>of();
            }, collectives.get(0))));
            futures.add(pool.submit(Trainer.leavingOnFailure(() -> {
                throw new IOException("shard train/000003.shard: CRC32C mismatch");
            }, collectives.get(1))));
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(IOException.class, () -> Trainer.await(futures, collectives)));
            assertEquals("shard train/000003.shard: CRC32C mismatch", e.getMessage(),
                    "the root cause, not rank 0's 'rank 1 left the group'");
        } finally {
            pool.shutdownNow();
            collectives.forEach(Collective::close);
        }
    }
}
