package dev.sluice.nccl;

import java.util.Objects;

/**
 * Entry point: loads NCCL lazily, once per JVM.
 *
 * <p>{@link #load()} binds {@code libnccl.so.2} from the host through JNA the first time it is called
 * (NCCL alone: these bindings bind no CUDA runtime, so they never add a second CUDA version to the
 * process), checks its version, and returns the {@link NcclRuntime}. Without NCCL it throws one {@link NcclUnavailableException} whose message lists what is missing
 * and how to provide it; {@link #availability()} returns the same answer without throwing.
 *
 * <p>The outcome is remembered: native loading cannot be undone or retried in a JVM (a library that
 * failed to bind is not retried), so explicit library paths must be given on the first
 * call. Nothing else in this package touches native code before this class loads it.
 */
public final class Nccl {
    private static final Object LOCK = new Object();

    // Guarded by LOCK. Exactly one of runtime/failure is set after the first native load attempt.
    private static NcclRuntime runtime;
    private static NcclLoadOptions attemptedWith;
    private static NcclUnavailableException failure;

    private Nccl() {
    }

    /**
     * Loads NCCL with the dynamic linker's default search (LD_LIBRARY_PATH, ld.so.cache, system
     * directories), or returns the runtime loaded earlier.
     *
     * @throws NcclUnavailableException if CUDA or NCCL cannot be used; the message is meant for the user
     */
    public static NcclRuntime load() {
        return load(NcclLoadOptions.defaults());
    }

    /**
     * Loads NCCL, loading the libraries named in {@code options} by their full path first.
     *
     * @throws NcclUnavailableException if CUDA or NCCL cannot be used (a mistyped explicit path is
     *     reported without attempting to load anything, so it can be corrected and retried)
     * @throws IllegalStateException if NCCL was already loaded with different explicit paths
     */
    public static NcclRuntime load(NcclLoadOptions options) {
        Objects.requireNonNull(options, "options");
        synchronized (LOCK) {
            if (runtime != null) {
                if (!options.isDefault() && !options.equals(attemptedWith)) {
                    throw new IllegalStateException("NCCL is already loaded in this JVM (" + runtime.description()
                            + ") with " + attemptedWith + "; it cannot be reloaded with " + options
                            + ". Pass the library path before the first use of NCCL.");
                }
                return runtime;
            }
            if (failure != null) {
                String note = options.equals(attemptedWith) ? ""
                        : "\n(This is the outcome of the first attempt, with " + attemptedWith + "; native loading"
                                + " cannot be retried in the same JVM, so restart with the right settings.)";
                throw new NcclUnavailableException(failure.getMessage() + note, failure);
            }
            // Validate explicit paths before touching any native code: a typo stays correctable.
            options.resolvedNcclLibrary();
            attemptedWith = options;
            try {
                runtime = NativeLoader.load(options);
                return runtime;
            } catch (NcclUnavailableException e) {
                failure = e;
                throw e;
            }
        }
    }

    /** Like {@link #availability(NcclLoadOptions)} with default options. */
    public static NcclAvailability availability() {
        return availability(NcclLoadOptions.defaults());
    }

    /**
     * Whether NCCL can be used, loading it if this is the first call: never throws for a missing
     * library or device, the answer's message says what is missing instead.
     *
     * @throws IllegalStateException if NCCL was already loaded with different explicit paths
     */
    public static NcclAvailability availability(NcclLoadOptions options) {
        try {
            return new NcclAvailability(true, load(options).description());
        } catch (NcclUnavailableException e) {
            return new NcclAvailability(false, e.getMessage());
        }
    }
}
