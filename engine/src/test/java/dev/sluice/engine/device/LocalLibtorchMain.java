package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child JVM of {@link LocalLibtorchTest}: loads DJL's PyTorch engine the way the trainer does
 * ({@link Devices#djlGpuCount()}), computes a sum on it, and prints where libtorch and DJL's JNI were
 * mapped from, as the kernel reports it in /proc/self/maps.
 */
public final class LocalLibtorchMain {

    private LocalLibtorchMain() {}

    public static void main(String[] args) throws IOException {
        System.out.println("gpus=" + Devices.djlGpuCount());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.create(new float[] {1f, 2f, 3f});
            System.out.println("sum=" + a.sum().getFloat());
        }
        System.out.println("libtorch=" + LibUtils.getLibtorchPath());
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && (line.endsWith("libtorch_cpu.so") || line.endsWith("libdjl_torch.so"))) {
                System.out.println("mapped=" + line.substring(slash));
            }
        }
    }
}
