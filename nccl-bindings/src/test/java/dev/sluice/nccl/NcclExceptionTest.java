package dev.sluice.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every non-success result code becomes an exception that names the code, carries NCCL's strings and
 * says which operation, rank and device failed. (With a GPU, NcclGpuTest checks the same mapping on a
 * real NCCL failure.)
 */
class NcclExceptionTest {

    @ParameterizedTest
    @EnumSource(value = NcclResult.class, names = "SUCCESS", mode = EnumSource.Mode.EXCLUDE)
    void everyErrorCodeMapsToAnExceptionWithNameAndMessages(NcclResult result) {
        NcclException e = new NcclException(result.code(), "ncclAllReduce", 3, 1, "nccl error string",
                "Cuda failure 'out of memory'", null);

        assertEquals(result.code(), e.code());
        assertEquals(result.ncclName(), e.codeName());
        assertEquals(Optional.of(result), e.result());
        assertEquals("ncclAllReduce", e.operation());
        assertEquals(OptionalInt.of(3), e.rank());
        assertEquals(OptionalInt.of(1), e.device());
        assertEquals("nccl error string", e.errorString());
        assertEquals("Cuda failure 'out of memory'", e.lastError());
        assertEquals("ncclAllReduce failed on rank 3 (device 1): " + result.ncclName() + " (" + result.code()
                + "): nccl error string; NCCL last error: Cuda failure 'out of memory'. " + result.hint(),
                e.getMessage());
        assertFalse(result.hint().isBlank(), "every error code says what to check");
    }

    @Test
    void missingNcclStringsFallBackToTheDescription() {
        NcclException e = new NcclException(NcclResult.REMOTE_ERROR.code(), "ncclCommInitAll", -1, -1, null, "  ",
                null);
        assertEquals(NcclResult.REMOTE_ERROR.description(), e.errorString());
        assertEquals("", e.lastError());
        assertEquals(OptionalInt.empty(), e.rank());
        assertEquals(OptionalInt.empty(), e.device());
        assertEquals("ncclCommInitAll failed: ncclRemoteError (6): " + NcclResult.REMOTE_ERROR.description() + ". "
                + NcclResult.REMOTE_ERROR.hint(), e.getMessage());
    }

    @Test
    void detailAndDeviceOnlyAreFormatted() {
        NcclException e = new NcclException(NcclResult.TIMEOUT.code(), "awaitStream", -1, 2, null, null,
                "stream 0x10 still busy after PT5S; communicator aborted");
        assertEquals("awaitStream failed on device 2: ncclTimeout (8): the operation timed out; stream 0x10 still"
                + " busy after PT5S; communicator aborted. " + NcclResult.TIMEOUT.hint(), e.getMessage());
    }

    @Test
    void unknownCodeKeepsTheNumber() {
        NcclException e = new NcclException(42, "ncclGroupEnd", 0, 0, "", "", null);
        assertEquals(42, e.code());
        assertEquals("ncclResult(42)", e.codeName());
        assertEquals(Optional.empty(), e.result());
        assertTrue(e.getMessage().startsWith("ncclGroupEnd failed on rank 0 (device 0): ncclResult(42) (42):"
                + " unknown NCCL result."), e.getMessage());
        assertTrue(e.getMessage().contains("newer than these bindings"), e.getMessage());
    }

    @Test
    void successIsNotAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NcclException(0, "ncclAllReduce", 0, 0, "no error", "", null));
        assertEquals("ncclSuccess is not an error (operation ncclAllReduce)", e.getMessage());
    }
}
