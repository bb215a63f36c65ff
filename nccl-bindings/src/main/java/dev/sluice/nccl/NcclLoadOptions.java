package dev.sluice.nccl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where to load {@code libnccl.so.2} from, when the dynamic linker's search (LD_LIBRARY_PATH,
 * ld.so.cache, system directories) should not decide. Immutable.
 *
 * <p>An explicit library is opened by its full path. The path may name the library file itself or
 * the directory holding it (e.g. {@code .../site-packages/nvidia/nccl/lib} of the
 * {@code nvidia-nccl-cu12} wheel).
 *
 * @param ncclLibrary {@code libnccl.so.2} or its directory; null to let the dynamic linker find it
 */
public record NcclLoadOptions(Path ncclLibrary) {
    /** File name of the NCCL library. */
    public static final String NCCL_SONAME = "libnccl.so.2";
    /** File name of the NVIDIA driver's CUDA library, which NCCL opens (always from the driver installation). */
    public static final String DRIVER_SONAME = "libcuda.so.1";

    private static final NcclLoadOptions DEFAULTS = new NcclLoadOptions(null);

    /** No explicit path: the dynamic linker finds the library. */
    public static NcclLoadOptions defaults() {
        return DEFAULTS;
    }

    /** A copy that loads {@code libnccl.so.2} from this file or directory (what {@code --nccl-lib PATH} sets). */
    public NcclLoadOptions withNcclLibrary(Path fileOrDirectory) {
        return new NcclLoadOptions(Objects.requireNonNull(fileOrDirectory, "fileOrDirectory"));
    }

    /** Whether no explicit path is set. */
    public boolean isDefault() {
        return ncclLibrary == null;
    }

    /**
     * The NCCL library file to load explicitly, resolved and checked.
     *
     * @throws NcclUnavailableException if the path is set but names no readable library
     */
    Optional<Path> resolvedNcclLibrary() {
        if (ncclLibrary == null) {
            return Optional.empty();
        }
        Path file = Files.isDirectory(ncclLibrary) ? ncclLibrary.resolve(NCCL_SONAME) : ncclLibrary;
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            String where = file.equals(ncclLibrary) ? ncclLibrary.toString()
                    : ncclLibrary + " (looked for " + file + ")";
            throw new NcclUnavailableException("The NCCL library (--nccl-lib) path " + where + " is not a readable"
                    + " file. Give the path of " + NCCL_SONAME + " itself or of the directory holding it, e.g. the"
                    + " site-packages/nvidia/nccl/lib directory of the nvidia-nccl-cu12 Python wheel or the lib"
                    + " directory of NVIDIA's NCCL package.");
        }
        return Optional.of(file.toAbsolutePath().normalize());
    }

    /** "default library search" or the explicit path, for messages. */
    @Override
    public String toString() {
        return isDefault() ? "default library search" : "NCCL library " + ncclLibrary;
    }
}
