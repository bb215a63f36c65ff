package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.CollectiveException;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.collective.ReduceOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

class RankThreadsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"exception", "error"})
    @Timeout(30)
    void aFailingRankFailsTheRunAtOnceAndEveryMemberIsClosedAfter(String kind) {
        List<? extends Collective> members = new InProcessGroup(3).members();
        // ranks 0 and 2 wait in an all-reduce for rank 1, which fails instead (an Error such as running
        // out of direct memory too): without its member closed they would wait for the group's timeout
        Throwable e = assertThrows(Throwable.class,
                () -> RankThreads.run(members, "test-rank-", "a test", c -> {
                    if (c.rank() == 1 && kind.equals("error")) {
                        throw new OutOfMemoryError("rank 1 gives up");
                    }
                    if (c.rank() == 1) {
                        throw new IllegalStateException("rank 1 gives up");
                    }
                    c.allReduce(ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()), ElementType.FLOAT32,
                            ReduceOp.SUM);
                }));
        assertEquals(kind.equals("error") ? OutOfMemoryError.class : IllegalStateException.class, e.getClass(),
                e.toString());
        assertEquals("rank 1 gives up", e.getMessage(), "the rank's own failure, not its peers' aborts");
        for (Collective c : members) {
            assertThrows(CollectiveException.class, () -> c.allReduce(ByteBuffer.allocateDirect(16)
                    .order(ByteOrder.nativeOrder()), ElementType.FLOAT32, ReduceOp.SUM), "rank " + c.rank() + " closed");
        }
    }
}
