package dev.sluice.engine.device;

/**
 * First step of {@code scripts/gpu-tests.sh}: one line saying what CUDA finds (through JCuda, the
 * engine's one CUDA binding), exit status 0 with a GPU and 3 without, so the script can fail fast
 * when a GPU was required.
 */
public final class GpuKitProbe {

    private GpuKitProbe() {}

    public static void main(String[] args) {
        CudaProbe.Status s = CudaProbe.system();
        if (s.available()) {
            System.out.println("gpus=" + s.gpus().size() + " driver=" + s.driverVersion() / 1000 + "."
                    + s.driverVersion() % 1000 / 10 + " " + s.describeGpus());
            return;
        }
        System.out.println("no GPU: " + s.reason());
        System.exit(3);
    }
}
