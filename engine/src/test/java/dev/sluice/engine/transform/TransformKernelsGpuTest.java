package dev.sluice.engine.transform;

import dev.sluice.engine.device.GpuAssumptions;
import dev.sluice.engine.device.CudaProbe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.data.transform.CpuBatchTransform;
import dev.sluice.data.transform.Layout;
import dev.sluice.data.transform.SampleRandom;
import dev.sluice.data.transform.TransformSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernels against the CPU twin on random batches, bit for bit. Runs only where a CUDA device is
 * present; skipped otherwise. Sets up a minimal context itself (the device layer is not used here).
 */
class TransformKernelsGpuTest {

    private static CUdevice device;
    private static CUstream stream;
    private static TransformKernels kernels;

    @BeforeAll
    static void setUp() {
        GpuAssumptions.assume(cudaDevicePresent(), () -> "no CUDA device: " + CudaProbe.system().reason());
        device = new CUdevice();
        ok(JCudaDriver.cuDeviceGet(device, 0), "cuDeviceGet");
        CUcontext context = new CUcontext();
        ok(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        ok(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        stream = new CUstream();
        ok(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
        kernels = TransformKernels.load();
    }

    @AfterAll
    static void tearDown() {
        if (kernels != null) {
            kernels.close();
        }
        if (stream != null) {
            ok(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
        }
        if (device != null) {
            ok(JCudaDriver.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        }
    }

    @Test
    void everyKernelMatchesTheCpuTwinBitForBit() {
        float[] mean3 = {0.485f, 0.456f, 0.406f};
        float[] std3 = {0.229f, 0.224f, 0.225f};
        List<TransformSpec> specs = List.of(
                TransformSpec.builder(Layout.HWC, 32, 32, 3).build(),
                TransformSpec.builder(Layout.CHW, 17, 23, 3).build(),
                TransformSpec.builder(Layout.HWC, 32, 32, 3).normalize(mean3, std3).build(),
                TransformSpec.builder(Layout.CHW, 31, 29, 3).normalize(mean3, std3).build(),
                TransformSpec.builder(Layout.HWC, 32, 32, 3).normalize(mean3, std3).randomCrop(4).flip(true).seed(7).build(),
                TransformSpec.builder(Layout.CHW, 40, 24, 3).normalize(mean3, std3).randomCrop(5).flip(true).seed(8).build(),
                TransformSpec.builder(Layout.HWC, 28, 28, 1).normalize(new float[] {0.1307f}, new float[] {0.3081f})
                        .randomCrop(2).seed(9).build(),
                TransformSpec.builder(Layout.HWC, 9, 300, 4).flip(true).seed(10).build(),
                TransformSpec.builder(Layout.CHW, 5, 6, 16).randomCrop(3).flip(true).seed(11).build());
        int batch = 37;
        for (TransformSpec spec : specs) {
            for (long first : new long[] {0, 123_456_789_012L}) {
                compare(spec, batch, first);
            }
        }
    }

    @Test
    void batchesLargerThanTheGridStrideLimitAreCovered() {
        // gridDim.y is capped at 65535; the remaining samples go through the stride loop
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 2, 3, 1).randomCrop(1).flip(true).seed(3).build();
        compare(spec, 70_001, 5);
    }

    @Test
    void rawAddressesAndCuDeviceptrGiveTheSameResult() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 16, 16, 3).randomCrop(2).seed(4).build();
        int n = 8;
        byte[] data = randomBytes(n * spec.inputBytesPerSample(), 5);
        long outBytes = n * spec.outputBytesPerSample();
        Address in = new Address();
        Address outA = new Address();
        Address outB = new Address();
        ok(JCudaDriver.cuMemAlloc(in, data.length), "cuMemAlloc");
        ok(JCudaDriver.cuMemAlloc(outA, outBytes), "cuMemAlloc");
        ok(JCudaDriver.cuMemAlloc(outB, outBytes), "cuMemAlloc");
        try {
            ok(JCudaDriver.cuMemcpyHtoD(in, Pointer.to(data), data.length), "cuMemcpyHtoD");
            kernels.launch(spec, stream, in.address(), outA.address(), n, 0);
            kernels.launch(spec, stream, in, outB, n, 0);
            ok(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            float[] a = new float[(int) (outBytes / 4)];
            float[] b = new float[a.length];
            ok(JCudaDriver.cuMemcpyDtoH(Pointer.to(a), outA, outBytes), "cuMemcpyDtoH");
            ok(JCudaDriver.cuMemcpyDtoH(Pointer.to(b), outB, outBytes), "cuMemcpyDtoH");
            assertBitsEqual(a, b, "long vs CUdeviceptr");
        } finally {
            JCudaDriver.cuMemFree(in);
            JCudaDriver.cuMemFree(outA);
            JCudaDriver.cuMemFree(outB);
        }
    }

    private static void compare(TransformSpec spec, int n, long firstSampleId) {
        byte[] data = randomBytes(n * spec.inputBytesPerSample(), spec.hashCode());
        long outBytes = n * spec.outputBytesPerSample();
        CUdeviceptr in = new CUdeviceptr();
        CUdeviceptr out = new CUdeviceptr();
        ok(JCudaDriver.cuMemAlloc(in, data.length), "cuMemAlloc");
        ok(JCudaDriver.cuMemAlloc(out, outBytes), "cuMemAlloc");
        try {
            ok(JCudaDriver.cuMemcpyHtoD(in, Pointer.to(data), data.length), "cuMemcpyHtoD");
            ok(JCudaDriver.cuMemsetD8(out, (byte) 0x7F, outBytes), "cuMemsetD8"); // no stale zeros pass
            kernels.launch(spec, stream, in, out, n, firstSampleId);
            ok(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            float[] gpu = new float[(int) (outBytes / 4)];
            ok(JCudaDriver.cuMemcpyDtoH(Pointer.to(gpu), out, outBytes), "cuMemcpyDtoH");

            ByteBuffer hostIn = ByteBuffer.allocateDirect(data.length);
            hostIn.put(data).flip();
            ByteBuffer hostOut = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.nativeOrder());
            new CpuBatchTransform(spec).apply(hostIn, n, firstSampleId, hostOut);
            float[] cpu = new float[gpu.length];
            hostOut.asFloatBuffer().get(cpu);
            assertBitsEqual(cpu, gpu, TransformKernels.kernelFor(spec) + " " + spec + " first=" + firstSampleId);
        } finally {
            JCudaDriver.cuMemFree(in);
            JCudaDriver.cuMemFree(out);
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ") but was " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
            }
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (SampleRandom.mix64(seed * 1_000_003 + i) >>> 56);
        }
        return b;
    }

    private static void ok(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new AssertionError(call + " failed: " + CUresult.stringFor(rc));
        }
    }

    /** True only where JCuda loads, the driver initializes and reports a device. */
    static boolean cudaDevicePresent() {
        try {
            if (JCudaDriver.cuInit(0) != CUresult.CUDA_SUCCESS) {
                return false;
            }
            int[] count = {0};
            return JCudaDriver.cuDeviceGetCount(count) == CUresult.CUDA_SUCCESS && count[0] > 0;
        } catch (LinkageError e) {
            return false; // no libcuda.so.1 (or JCuda natives) on this host
        }
    }

    /** A device pointer whose raw address the test can read (JCuda keeps it protected). */
    private static final class Address extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }
}
