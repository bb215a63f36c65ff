package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * The one switch every GPU test goes through: a missing GPU, driver, NCCL or DJL CUDA build skips
 * the test, unless the run was started with {@code -Dsluice.requireGpu=true} (what
 * {@code scripts/gpu-tests.sh --require-gpu} and the GPU kit pass), where it fails instead, so a GPU
 * machine cannot report green while checking nothing.
 */
public final class GpuAssumptions {

    /** The system property that turns skips into failures. */
    public static final String REQUIRE_GPU = "sluice.requireGpu";

    private GpuAssumptions() {}

    /** Whether this run must fail rather than skip when a GPU prerequisite is missing. */
    public static boolean required() {
        return Boolean.getBoolean(REQUIRE_GPU);
    }

    /** Skips (or, with {@value #REQUIRE_GPU}, fails) unless {@code condition} holds. */
    public static void assume(boolean condition, Supplier<String> why) {
        if (condition) {
            return;
        }
        String message = why.get();
        if (required()) {
            fail("GPU required (-D" + REQUIRE_GPU + "=true) but: " + message);
        }
        Assumptions.abort(message);
    }

    /**
     * Skips (or, with {@value #REQUIRE_GPU}, fails) unless CUDA sees a GPU; then skips, even with
     * the switch, unless it sees at least {@code count}: a one-GPU machine is a working GPU machine,
     * and a test that needs two says so in its skip reason.
     *
     * @return the probe status
     */
    public static CudaProbe.Status gpus(int count) {
        CudaProbe.Status s = CudaProbe.system();
        assume(s.available(), () -> "no CUDA GPU: " + s.reason());
        Assumptions.assumeTrue(s.gpus().size() >= count,
                () -> "needs " + count + " GPUs, this host has " + s.gpus().size());
        return s;
    }
}
