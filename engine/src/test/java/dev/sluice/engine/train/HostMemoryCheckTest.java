package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CPU replicas are sized against free memory before they are allocated. */
class HostMemoryCheckTest {

    /** MLP 784-256-128-10: 784*256+256 + 256*128+128 + 128*10+10 = 235,146 float32 = 940,584 bytes. */
    static final long MLP_BYTES = 940_584;

    @Test
    void replicasThatDoNotFitAreRefusedWithTheFigures() {
        // 999 replicas x 4 x 940,584 B = 3.76 GB against 2 GB free
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.checkHostMemory(MLP_BYTES, 999, 2_000_000_000L));
        assertTrue(e.getMessage().contains("999 CPU replica(s) need about 3.8 GB")
                && e.getMessage().contains("2.0 GB of memory is free"), e.getMessage());
    }

    @Test
    void replicasThatFitOrAnUnknownFreeSizePass() {
        assertDoesNotThrow(() -> Trainer.checkHostMemory(MLP_BYTES, 2, 2_000_000_000L));
        assertDoesNotThrow(() -> Trainer.checkHostMemory(MLP_BYTES, 999, -1));
    }
}
