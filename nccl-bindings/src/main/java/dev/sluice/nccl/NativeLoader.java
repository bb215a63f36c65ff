package dev.sluice.nccl;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Binds {@code libnccl.so.2} through JNA (NCCL alone: no CUDA runtime wrapper, so this module adds
 * no second CUDA runtime to a process whose CUDA belongs to JCuda or PyTorch) and checks its
 * version. Called once per JVM by {@link Nccl}; every failure becomes one
 * {@link NcclUnavailableException} whose message says what is missing.
 */
final class NativeLoader {
    /** Oldest NCCL whose API covers every call these bindings make ({@code ncclGetLastError} came in 2.13). */
    static final int MIN_NCCL_VERSION_CODE = 21300;

    private NativeLoader() {
    }

    static NcclRuntime load(NcclLoadOptions options) {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new NcclUnavailableException("NCCL is not available: these bindings support linux-x86_64"
                    + " only, and this JVM runs on " + os + "/" + arch + "; NCCL cannot be used on this platform.");
        }
        // An explicit file is opened by its full path; otherwise the dynamic linker searches
        // LD_LIBRARY_PATH, ld.so.cache and the system directories for the soname.
        String name = options.resolvedNcclLibrary().map(Path::toString).orElse(NcclLoadOptions.NCCL_SONAME);
        NcclLibrary library;
        try {
            library = Native.load(name, NcclLibrary.class);
        } catch (LinkageError | RuntimeException e) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(LibraryProbe.reasonFor(e), options,
                    LibraryProbe.HOW_TO_FIX), e);
        }
        IntByReference version = new IntByReference();
        int result;
        try {
            result = library.ncclGetVersion(version);
        } catch (LinkageError | RuntimeException e) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(name + " loaded, but calling"
                    + " ncclGetVersion failed: " + LibraryProbe.firstMessage(e), options, LibraryProbe.HOW_TO_FIX), e);
        }
        if (result != NcclResult.SUCCESS.code()) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(name + " loaded, but ncclGetVersion"
                    + " returned " + result, options, LibraryProbe.HOW_TO_FIX));
        }
        int ncclVersion = version.getValue();
        if (ncclVersion < MIN_NCCL_VERSION_CODE) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage("the loaded NCCL is version "
                    + NcclRuntime.versionString(ncclVersion) + ", older than the 2.13 these bindings need",
                    options, "Install a newer NCCL (the nvidia-nccl-cu12 wheel that torch 2.7.1 brings, or"
                            + " NVIDIA's libnccl2 package) and put it first on LD_LIBRARY_PATH, or pass"
                            + " --nccl-lib PATH."));
        }
        Natives.bind(library);
        return new NcclRuntime(ncclVersion, mappedLibrary("libnccl.so").orElse(name));
    }

    /**
     * Full path of the mapped library whose file name starts with {@code prefix}, read from
     * /proc/self/maps, so the runtime can say which libnccl the linker actually chose.
     */
    static Optional<String> mappedLibrary(String prefix) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try (Stream<String> lines = Files.lines(maps)) {
            return lines.map(l -> {
                int slash = l.indexOf('/');
                return slash < 0 ? "" : l.substring(slash).strip();
            }).filter(p -> {
                int i = p.lastIndexOf('/');
                return p.substring(i + 1).startsWith(prefix);
            }).findFirst();
        } catch (IOException | RuntimeException e) {
            // Diagnostics only; the runtime description then says "?".
            return Optional.empty();
        }
    }
}
