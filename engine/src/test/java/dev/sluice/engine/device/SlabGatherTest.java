package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.transform.GatherKernel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The CPU twin of the device gather on hand-worked cases, and the kernel's PTX as packaged. */
class SlabGatherTest {

    @Test
    void samplesAreCopiedInBatchOrderFromTheirOffsets() {
        ByteBuffer slab = ByteBuffer.wrap("abcdefghij".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer out = ByteBuffer.allocate(10);
        out.put(9, (byte) '#');
        SlabGather.gather(slab, new long[] {7, 0, 3}, 3, out);
        // "hij" from 7, "abc" from 0, "def" from 3; the byte after the batch is untouched
        assertEquals("hijabcdef#", new String(out.array(), StandardCharsets.US_ASCII));
        // a sample may repeat, and samples may overlap in the slab
        SlabGather.gather(slab, new long[] {1, 1, 2}, 2, out);
        assertEquals("bcbccddef#", new String(out.array(), StandardCharsets.US_ASCII));
    }

    @Test
    void directBuffersAndTheLastByteOfTheSlab() {
        ByteBuffer slab = ByteBuffer.allocateDirect(5).put(new byte[] {1, 2, 3, 4, 5}).clear();
        ByteBuffer out = ByteBuffer.allocateDirect(2);
        SlabGather.gather(slab, new long[] {3}, 2, out);
        assertEquals(4, out.get(0));
        assertEquals(5, out.get(1));
    }

    @Test
    void samplesOutsideTheSlabAreRejectedBeforeAnythingIsWritten() {
        ByteBuffer slab = ByteBuffer.allocate(10);
        ByteBuffer out = ByteBuffer.allocate(9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SlabGather.gather(slab, new long[] {0, 8}, 3, out));
        assertEquals("sample 1 at slab offset 8 (+3 bytes) lies outside the slab of 10 bytes", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlabGather.gather(slab, new long[] {-1}, 3, out));
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> SlabGather.gather(slab, new long[] {0, 1, 2, 3}, 3, out));
        assertEquals("4 samples of 3 bytes need 12 bytes, the batch buffer has 9", small.getMessage());
    }

    @Test
    void theKernelIsPackagedAsPtx() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(GatherKernel.PTX_RESOURCE)) {
            String ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(ptx.contains(".visible .entry " + GatherKernel.ENTRY + "("), "PTX lacks the entry");
            assertTrue(ptx.contains(".version 8.0"), "lowered to the ISA older drivers accept (build-ptx.sh)");
        }
    }
}
