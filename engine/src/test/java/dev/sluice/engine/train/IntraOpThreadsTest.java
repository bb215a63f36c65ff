package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** PyTorch's intra-op threads leave a core to the loader. */
class IntraOpThreadsTest {

    @Test
    void oneCoreIsLeftToTheLoaderAndEveryReplicaGetsAtLeastOne() {
        assertEquals(1, Trainer.intraOpThreads(2, 1), "2 cores: 1 PyTorch thread, 1 core for the loader");
        assertEquals(15, Trainer.intraOpThreads(16, 1));
        assertEquals(7, Trainer.intraOpThreads(16, 2));
        assertEquals(1, Trainer.intraOpThreads(2, 2));
        assertEquals(1, Trainer.intraOpThreads(1, 1));
    }
}
