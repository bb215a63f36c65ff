package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.sluice.nccl.NcclAvailability;
import dev.sluice.nccl.NcclRedOp;
import dev.sluice.nccl.NcclUnavailableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What of {@link NcclCollective} can be checked without a GPU: device addresses are taken from
 * buffer views without touching the memory, the type and operation mapping, and the typed error
 * (with the bindings' message) when NCCL cannot be used. The collectives themselves are in
 * {@link NcclCollectiveGpuTest}.
 */
class NcclCollectiveTest {

    @Test
    void addressOfAViewIsTakenWithoutDereferencingIt() {
        // An address no process maps: reading through it would crash the JVM, so passing proves
        // that only the buffer's address field is read, as for a view over CUDA memory.
        long fake = 0x7e57_0000_1000L;
        ByteBuffer view = CudaRuntime.view(fake, 1 << 20);
        assertTrue(view.isDirect());
        assertEquals(1 << 20, view.capacity());
        assertEquals(ByteOrder.nativeOrder(), view.order());
        assertEquals(fake, CudaRuntime.address(view));
        view.position(4096).limit(8192);
        assertEquals(fake + 4096, CudaRuntime.address(view), "the region starts at the position");
        assertEquals(fake, CudaRuntime.baseAddress(view));
        ByteBuffer slice = view.slice();
        assertEquals(fake + 4096, CudaRuntime.baseAddress(slice), "a slice starts where it was cut");
        assertEquals(fake + 4096 + 100, CudaRuntime.address(slice.position(100)));
    }

    @Test
    void addressMatchesRealNativeMemory() {
        ByteBuffer memory = ByteBuffer.allocateDirect(256);
        long base = CudaRuntime.address(memory);
        // a second view built from the address alone sees the bytes written through the first
        ByteBuffer again = CudaRuntime.view(base, 256);
        memory.put(17, (byte) 42);
        assertEquals(42, again.get(17), "same memory");
        ByteBuffer b = memory.duplicate().position(17);
        assertEquals(base + 17, CudaRuntime.address(b));
        assertThrows(IllegalArgumentException.class, () -> CudaRuntime.address(ByteBuffer.allocate(8)));
    }

    @Test
    void everyElementTypeAndOperationHasAnNcclTwin() {
        for (ElementType t : ElementType.values()) {
            assertEquals(t.bytes(), NcclCollective.dataType(t).byteSize(), t.name());
            assertEquals(t.name(), NcclCollective.dataType(t).name(), "same meaning, same name");
        }
        assertEquals(NcclRedOp.SUM, NcclCollective.redOp(ReduceOp.SUM));
        assertEquals(NcclRedOp.AVG, NcclCollective.redOp(ReduceOp.AVG));
        assertEquals(NcclRedOp.MAX, NcclCollective.redOp(ReduceOp.MAX));
        assertEquals(NcclRedOp.MIN, NcclCollective.redOp(ReduceOp.MIN));
    }

    @Test
    void withoutNcclCreatingFailsWithTheBindingsMessage() throws Exception {
        NcclAvailability availability = NcclCollective.availability(TestNccl.options());
        assumeFalse(availability.available(), "NCCL is available here: see NcclCollectiveGpuTest");
        NcclUnavailableException local = assertThrows(NcclUnavailableException.class,
                () -> NcclCollective.local(TestNccl.options(), Duration.ofSeconds(10), 0));
        assertEquals(availability.message(), local.getMessage());
        assertTrue(local.getMessage().contains("libnccl.so.2") && local.getMessage().contains("--nccl-lib"),
                local.getMessage());

        // the multi-process path fails the same way, before it uses the bootstrap collective
        InProcessGroup bootstrap = new InProcessGroup(1);
        NcclUnavailableException join = assertThrows(NcclUnavailableException.class,
                () -> NcclCollective.join(TestNccl.options(), bootstrap.member(0), 0, Duration.ofSeconds(10)));
        assertEquals(availability.message(), join.getMessage());
        bootstrap.member(0).barrier(); // still usable: nothing was sent
        bootstrap.member(0).close();
    }
}
