package dev.sluice.engine.device;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes PyTorch's CPU kernels give the same bits from run to run, which exact {@code --resume} needs.
 *
 * <p>DJL's CPU libtorch carries Intel MKL, and MKL picks a code path per call by the memory alignment
 * of the arrays, so the same computation in another process (another allocation pattern) can differ
 * in the last bits; over many steps a GPT's loss then drifts by about 1e-3. MKL's conditional
 * numerical reproducibility ({@code MKL_CBWR=AUTO}: the fastest path this CPU supports, chosen the
 * same way every time) removes that at no measured cost. MKL reads the variable once, when it
 * starts, so it is set in this process's environment (libc {@code setenv}) before libtorch loads.
 * A value the user set is kept.
 */
public final class MklReproducibility {

    /** The environment variable MKL reads. */
    public static final String VARIABLE = "MKL_CBWR";
    /** The branch Sluice asks for. */
    public static final String AUTO = "AUTO";

    private static final Logger LOG = LoggerFactory.getLogger(MklReproducibility.class);

    private interface LibC extends Library {
        int setenv(String name, String value, int overwrite);
    }

    private static String outcome;

    private MklReproducibility() {}

    /**
     * Sets {@code MKL_CBWR=AUTO} unless the environment has a value or libtorch is already loaded
     * (then it is too late and a line says how to get exact runs). Idempotent; never throws.
     *
     * @return the value in effect for MKL, or empty when it could not be set
     */
    public static synchronized Optional<String> request() {
        if (outcome == null) {
            outcome = apply();
        }
        return outcome.isEmpty() ? Optional.empty() : Optional.of(outcome);
    }

    private static String apply() {
        String set = System.getenv(VARIABLE);
        if (set != null) {
            return set;
        }
        if (libtorchLoaded()) {
            LOG.info("PyTorch was loaded before Sluice could set {}={}; for bit-exact --resume on CPU, start the JVM"
                    + " with that environment variable", VARIABLE, AUTO);
            return "";
        }
        try {
            LibC c = Native.load("c", LibC.class);
            if (c.setenv(VARIABLE, AUTO, 0) != 0) {
                LOG.info("could not set {}={} (setenv failed); for bit-exact --resume on CPU, set it yourself",
                        VARIABLE, AUTO);
                return "";
            }
            return AUTO;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.info("could not set {}={} ({}); for bit-exact --resume on CPU, set it yourself", VARIABLE, AUTO,
                    e.toString());
            return "";
        }
    }

    /** Whether a libtorch is mapped into this process already (Linux: {@code /proc/self/maps}). */
    static boolean libtorchLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("libtorch_cpu");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
