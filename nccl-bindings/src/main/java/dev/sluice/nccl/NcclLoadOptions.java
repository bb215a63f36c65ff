package dev.sluice.nccl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where to load the native libraries from, when the dynamic linker's search (LD_LIBRARY_PATH,
 * ld.so.cache, system directories) should not decide. Immutable.
 *
 * <p>An explicit library is loaded by its full path before JavaCPP loads its JNI wrappers; the
 * wrappers then bind to it because the dynamic linker matches an already loaded library by its
 * soname ({@code libnccl.so.2}, {@code libcudart.so.13}). The path may name the library file itself
 * or the directory holding it (e.g. {@code .../site-packages/nvidia/nccl/lib} of the
 * {@code nvidia-nccl-cu13} wheel).
 *
 * @param ncclLibrary {@code libnccl.so.2} or its directory; null to let the dynamic linker find it
 * @param cudaRuntimeLibrary {@code libcudart.so.13} or its directory; null to let the dynamic linker find it
 */
public record NcclLoadOptions(Path ncclLibrary, Path cudaRuntimeLibrary) {
    /** File name of the NCCL library the JavaCPP wrappers link against. */
    public static final String NCCL_SONAME = "libnccl.so.2";
    /** File name of the CUDA runtime library the JavaCPP wrappers link against. */
    public static final String CUDART_SONAME = "libcudart.so.13";
    /** File name of the NVIDIA driver's CUDA library (always comes from the driver installation). */
    public static final String DRIVER_SONAME = "libcuda.so.1";

    private static final NcclLoadOptions DEFAULTS = new NcclLoadOptions(null, null);

    /** No explicit paths: the dynamic linker finds every library. */
    public static NcclLoadOptions defaults() {
        return DEFAULTS;
    }

    /** A copy that loads {@code libnccl.so.2} from this file or directory (what {@code --nccl-lib PATH} sets). */
    public NcclLoadOptions withNcclLibrary(Path fileOrDirectory) {
        return new NcclLoadOptions(Objects.requireNonNull(fileOrDirectory, "fileOrDirectory"), cudaRuntimeLibrary);
    }

    /** A copy that loads {@code libcudart.so.13} from this file or directory. */
    public NcclLoadOptions withCudaRuntimeLibrary(Path fileOrDirectory) {
        return new NcclLoadOptions(ncclLibrary, Objects.requireNonNull(fileOrDirectory, "fileOrDirectory"));
    }

    /** Whether no explicit path is set. */
    public boolean isDefault() {
        return ncclLibrary == null && cudaRuntimeLibrary == null;
    }

    /**
     * The NCCL library file to load explicitly, resolved and checked.
     *
     * @throws NcclUnavailableException if the path is set but names no readable library
     */
    Optional<Path> resolvedNcclLibrary() {
        return resolve(ncclLibrary, NCCL_SONAME, "NCCL library (--nccl-lib)");
    }

    /**
     * The CUDA runtime library file to load explicitly, resolved and checked.
     *
     * @throws NcclUnavailableException if the path is set but names no readable library
     */
    Optional<Path> resolvedCudaRuntimeLibrary() {
        return resolve(cudaRuntimeLibrary, CUDART_SONAME, "CUDA runtime library");
    }

    /** "default library search" or the explicit paths, for messages. */
    @Override
    public String toString() {
        if (isDefault()) {
            return "default library search";
        }
        StringBuilder sb = new StringBuilder();
        if (ncclLibrary != null) {
            sb.append("NCCL library ").append(ncclLibrary);
        }
        if (cudaRuntimeLibrary != null) {
            sb.append(sb.length() > 0 ? ", " : "").append("CUDA runtime library ").append(cudaRuntimeLibrary);
        }
        return sb.toString();
    }

    private static Optional<Path> resolve(Path given, String soname, String what) {
        if (given == null) {
            return Optional.empty();
        }
        Path file = Files.isDirectory(given) ? given.resolve(soname) : given;
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            String where = file.equals(given) ? given.toString() : given + " (looked for " + file + ")";
            throw new NcclUnavailableException("The " + what + " path " + where + " is not a readable file."
                    + " Give the path of " + soname + " itself or of the directory holding it, e.g. the"
                    + " site-packages/nvidia/nccl/lib directory of the nvidia-nccl-cu13 Python wheel or the"
                    + " lib directory of NVIDIA's NCCL package.");
        }
        return Optional.of(file.toAbsolutePath().normalize());
    }
}
