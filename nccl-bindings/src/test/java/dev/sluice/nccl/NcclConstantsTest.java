package dev.sluice.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.bytedeco.cuda.global.nccl;
import org.junit.jupiter.api.Test;

/**
 * The enums' codes equal JavaCPP's NCCL constants (generated from nccl.h 2.30). The constants are
 * compile-time constants that javac inlines, so referencing them never initializes
 * {@code org.bytedeco.cuda.global.nccl} (whose static initializer loads the natives): on a machine
 * without libcuda/libnccl this test would otherwise fail with ExceptionInInitializerError.
 */
class NcclConstantsTest {

    @Test
    void dataTypesMatchJavaCppConstants() {
        Map<NcclDataType, Integer> expected = Map.ofEntries(
                Map.entry(NcclDataType.INT8, nccl.ncclInt8),
                Map.entry(NcclDataType.UINT8, nccl.ncclUint8),
                Map.entry(NcclDataType.INT32, nccl.ncclInt32),
                Map.entry(NcclDataType.UINT32, nccl.ncclUint32),
                Map.entry(NcclDataType.INT64, nccl.ncclInt64),
                Map.entry(NcclDataType.UINT64, nccl.ncclUint64),
                Map.entry(NcclDataType.FLOAT16, nccl.ncclFloat16),
                Map.entry(NcclDataType.FLOAT32, nccl.ncclFloat32),
                Map.entry(NcclDataType.FLOAT64, nccl.ncclFloat64),
                Map.entry(NcclDataType.BFLOAT16, nccl.ncclBfloat16),
                Map.entry(NcclDataType.FLOAT8_E4M3, nccl.ncclFloat8e4m3),
                Map.entry(NcclDataType.FLOAT8_E5M2, nccl.ncclFloat8e5m2));
        assertEquals(nccl.ncclNumTypes, NcclDataType.values().length, "every ncclDataType_t is modelled");
        for (NcclDataType t : NcclDataType.values()) {
            assertEquals(expected.get(t), t.code(), t.name());
            assertEquals(t, NcclDataType.fromCode(t.code()));
        }
        // Aliases in nccl.h map onto the same codes.
        assertEquals(nccl.ncclChar, NcclDataType.INT8.code());
        assertEquals(nccl.ncclInt, NcclDataType.INT32.code());
        assertEquals(nccl.ncclHalf, NcclDataType.FLOAT16.code());
        assertEquals(nccl.ncclFloat, NcclDataType.FLOAT32.code());
        assertEquals(nccl.ncclDouble, NcclDataType.FLOAT64.code());
    }

    @Test
    void dataTypeSizesAreTheCSizes() {
        assertEquals(1, NcclDataType.INT8.byteSize());
        assertEquals(1, NcclDataType.UINT8.byteSize());
        assertEquals(4, NcclDataType.INT32.byteSize());
        assertEquals(4, NcclDataType.UINT32.byteSize());
        assertEquals(8, NcclDataType.INT64.byteSize());
        assertEquals(8, NcclDataType.UINT64.byteSize());
        assertEquals(2, NcclDataType.FLOAT16.byteSize());
        assertEquals(Float.BYTES, NcclDataType.FLOAT32.byteSize());
        assertEquals(Double.BYTES, NcclDataType.FLOAT64.byteSize());
        assertEquals(2, NcclDataType.BFLOAT16.byteSize());
        assertEquals(1, NcclDataType.FLOAT8_E4M3.byteSize());
        assertEquals(1, NcclDataType.FLOAT8_E5M2.byteSize());
    }

    @Test
    void redOpsMatchJavaCppConstants() {
        assertEquals(nccl.ncclSum, NcclRedOp.SUM.code());
        assertEquals(nccl.ncclProd, NcclRedOp.PROD.code());
        assertEquals(nccl.ncclMax, NcclRedOp.MAX.code());
        assertEquals(nccl.ncclMin, NcclRedOp.MIN.code());
        assertEquals(nccl.ncclAvg, NcclRedOp.AVG.code());
        assertEquals(nccl.ncclNumOps, NcclRedOp.values().length, "every built-in ncclRedOp_t is modelled");
        for (NcclRedOp op : NcclRedOp.values()) {
            assertEquals(op, NcclRedOp.fromCode(op.code()));
        }
    }

    @Test
    void resultsMatchJavaCppConstants() {
        assertEquals(nccl.ncclSuccess, NcclResult.SUCCESS.code());
        assertEquals(nccl.ncclUnhandledCudaError, NcclResult.UNHANDLED_CUDA_ERROR.code());
        assertEquals(nccl.ncclSystemError, NcclResult.SYSTEM_ERROR.code());
        assertEquals(nccl.ncclInternalError, NcclResult.INTERNAL_ERROR.code());
        assertEquals(nccl.ncclInvalidArgument, NcclResult.INVALID_ARGUMENT.code());
        assertEquals(nccl.ncclInvalidUsage, NcclResult.INVALID_USAGE.code());
        assertEquals(nccl.ncclRemoteError, NcclResult.REMOTE_ERROR.code());
        assertEquals(nccl.ncclInProgress, NcclResult.IN_PROGRESS.code());
        assertEquals(nccl.ncclTimeout, NcclResult.TIMEOUT.code());
        assertEquals(nccl.ncclNumResults, NcclResult.values().length, "every ncclResult_t is modelled");
        for (NcclResult r : NcclResult.values()) {
            assertEquals(r, NcclResult.fromCode(r.code()).orElseThrow());
        }
    }

    @Test
    void uniqueIdSizeMatchesHeader() {
        assertEquals(nccl.NCCL_UNIQUE_ID_BYTES, NcclUniqueId.BYTES);
    }

    @Test
    void unknownCodesAreRejectedWithTheValue() {
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> NcclDataType.fromCode(nccl.ncclNumTypes));
        assertEquals("unknown ncclDataType_t value 12 (known: 0..11)", type.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NcclDataType.fromCode(-1));
        IllegalArgumentException op = assertThrows(IllegalArgumentException.class,
                () -> NcclRedOp.fromCode(nccl.ncclNumOps));
        assertEquals("unknown built-in ncclRedOp_t value 5 (known: 0..4)", op.getMessage());
        assertEquals(java.util.Optional.empty(), NcclResult.fromCode(nccl.ncclNumResults));
        assertEquals("ncclResult(9)", NcclResult.nameOf(nccl.ncclNumResults));
    }

    @Test
    void versionCodesDecodeBothNcclEncodings() {
        assertEquals("2.27.7", NcclRuntime.versionString(22707));
        assertEquals("2.30.7", NcclRuntime.versionString(nccl.NCCL_VERSION_CODE));
        assertEquals("2.4.8", NcclRuntime.versionString(2408)); // before 2.9: X*1000+Y*100+Z
    }
}
