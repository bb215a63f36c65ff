package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.engine.transform.GatherKernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaMemcpyKind;
import org.junit.jupiter.api.Test;

/**
 * The device gather reads a slab in pinned host memory (through unified addressing) and writes the
 * batch in device memory; the batch equals the CPU twin's byte for byte. Skipped without a GPU
 * (a failure under -Dsluice.requireGpu=true).
 */
class SlabGatherGpuTest {

    @Test
    void deviceGatherFromAPinnedSlabEqualsTheCpuTwin() {
        GpuAssumptions.gpus(1);
        check(JCuda.cudaSetDevice(0), "cudaSetDevice");
        check(JCuda.cudaFree(new Pointer()), "context");
        int slabBytes = 8 << 20;
        int sampleBytes = 150_528 + 3; // an odd size: every sample starts unaligned somewhere
        int n = 37;
        Random random = new Random(13);
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = random.nextInt(slabBytes - sampleBytes + 1);
        }
        PinnedAllocator pinned = PinnedAllocator.create();
        ByteBuffer slab = pinned.allocate(slabBytes);
        ByteBuffer deviceOffsetsHost = pinned.allocate(8 * n).order(ByteOrder.nativeOrder());
        DevicePointer out = new DevicePointer();
        DevicePointer deviceOffsets = new DevicePointer();
        try (GatherKernel kernel = GatherKernel.load()) {
            byte[] bytes = new byte[slabBytes];
            random.nextBytes(bytes);
            slab.put(0, bytes);
            for (int i = 0; i < n; i++) {
                deviceOffsetsHost.putLong(8 * i, offsets[i]);
            }
            check(JCuda.cudaMalloc(out, (long) n * sampleBytes), "cudaMalloc");
            check(JCuda.cudaMalloc(deviceOffsets, 8L * n), "cudaMalloc");
            check(JCuda.cudaMemcpy(deviceOffsets, new DevicePointer(NativeAddress.of(deviceOffsetsHost)), 8L * n,
                    cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy offsets");
            kernel.launch(NativeAddress.of(slab), slabBytes, offsets, deviceOffsets.address(), sampleBytes,
                    out.address(), (long) n * sampleBytes, new CUstream());
            check(JCuda.cudaDeviceSynchronize(), "kernel");
            byte[] device = new byte[n * sampleBytes];
            check(JCuda.cudaMemcpy(Pointer.to(device), out, device.length, cudaMemcpyKind.cudaMemcpyDeviceToHost),
                    "cudaMemcpy batch");

            ByteBuffer twin = ByteBuffer.allocate(n * sampleBytes);
            SlabGather.gather(ByteBuffer.wrap(bytes), offsets, sampleBytes, twin);
            assertArrayEquals(twin.array(), device);
        } finally {
            JCuda.cudaFree(out);
            JCuda.cudaFree(deviceOffsets);
            pinned.free(deviceOffsetsHost);
            pinned.free(slab);
        }
    }

    private static void check(int rc, String what) {
        assertEquals(cudaError.cudaSuccess, rc, what + ": " + cudaError.stringFor(rc));
    }
}
