package dev.sluice.engine.nvjpeg;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nvJPEG for this process, loaded lazily, once: {@code libnvjpeg.so.12} bound with JNA (from
 * {@code SLUICE_NVJPEG_LIB} / {@code -Dsluice.nvjpeg.lib} when set, else the dynamic linker's search),
 * plus a CUDA GPU from the engine's {@link CudaProbe}. Nothing native is touched before
 * {@link #unavailableReason()} or {@link #library()} is called, so every class of this package loads
 * on a host without CUDA.
 */
public final class Nvjpeg {

    /** The nvJPEG of CUDA 12, the CUDA major of the rest of the process (JCuda 12.6, PyTorch cu128). */
    public static final String SONAME = "libnvjpeg.so.12";

    /** Environment variable naming the library file (or its directory) explicitly. */
    public static final String LIBRARY_ENV = "SLUICE_NVJPEG_LIB";

    /** System property naming the library file (or its directory); wins over {@link #LIBRARY_ENV}. */
    public static final String LIBRARY_PROPERTY = "sluice.nvjpeg.lib";

    /** How to provide what is missing; the end of every "not available" message. */
    static final String HOW_TO_FIX = "To use --decoder nvjpeg: run on a host with an NVIDIA GPU and its driver"
            + " (libcuda.so.1), and make " + SONAME + " loadable: `pip install nvidia-nvjpeg-cu12` puts it in"
            + " site-packages/nvidia/nvjpeg/lib (the CUDA 12 toolkit has it in lib64); add that directory to"
            + " LD_LIBRARY_PATH, or name the file with " + LIBRARY_ENV + "=PATH (or -D" + LIBRARY_PROPERTY
            + "=PATH).";

    private Nvjpeg() {
    }

    /** Why nvJPEG cannot decode in this process (the whole message for the user), or null when it can. */
    public static String unavailableReason() {
        return Loaded.FAILURE;
    }

    /** The loaded library and its version, e.g. {@code nvJPEG 12.3.1 (/path/libnvjpeg.so.12)}; null when unavailable. */
    public static String describe() {
        return Loaded.DESCRIPTION;
    }

    /**
     * The bound library.
     *
     * @throws DeviceUnavailableException with {@link #unavailableReason()} when it cannot be used
     */
    static NvjpegLibrary library() {
        if (Loaded.FAILURE != null) {
            throw new DeviceUnavailableException(Loaded.FAILURE);
        }
        return Loaded.LIBRARY;
    }

    /** The library file to open: the explicit one when given (a directory means its {@value #SONAME}). */
    static String libraryName() {
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(LIBRARY_ENV);
        }
        if (explicit == null || explicit.isBlank()) {
            return SONAME;
        }
        Path p = Path.of(explicit).toAbsolutePath().normalize();
        return (Files.isDirectory(p) ? p.resolve(SONAME) : p).toString();
    }

    /** glibc's "libfoo.so.1: cannot open shared object file: No such file or directory" (or another reason). */
    private static final Pattern DLOPEN = Pattern.compile("[^\\s:]+: cannot open shared object file(: [^:\\n]*?directory)?");

    /** The one load attempt of this JVM (native loading cannot be undone or usefully retried). */
    private static final class Loaded {
        static final NvjpegLibrary LIBRARY;
        static final String DESCRIPTION;
        static final String FAILURE;

        static {
            NvjpegLibrary lib = null;
            String description = null;
            String libraryLine;
            String name = libraryName();
            String os = System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", "");
            if (!os.toLowerCase(Locale.ROOT).startsWith("linux/") || !(os.endsWith("/amd64") || os.endsWith("/x86_64"))) {
                libraryLine = "not loaded: these bindings support linux-x86_64 only, this JVM runs on " + os;
            } else {
                try {
                    lib = Native.load(name, NvjpegLibrary.class);
                    description = "nvJPEG " + version(lib) + " (" + name + ")";
                    libraryLine = "loaded, " + description;
                } catch (LinkageError | RuntimeException e) {
                    // UnsatisfiedLinkError from dlopen: the message says which file is missing
                    lib = null;
                    libraryLine = "not loadable" + (name.equals(SONAME) ? "" : " (named by " + LIBRARY_ENV + " or -D"
                            + LIBRARY_PROPERTY + ")") + ": " + deepestMessage(e);
                }
            }
            CudaProbe.Status gpu = CudaProbe.system();
            String gpuLine = gpu.available() ? gpu.describeGpus() : "none usable: " + gpu.reason();
            if (lib != null && gpu.available()) {
                LIBRARY = lib;
                DESCRIPTION = description;
                FAILURE = null;
            } else {
                LIBRARY = null;
                DESCRIPTION = null;
                FAILURE = "nvJPEG is not available: " + (lib == null ? name + " could not be loaded"
                        : "there is no usable CUDA GPU") + ".\n"
                        + "  " + name + " (nvJPEG): " + libraryLine + "\n"
                        + "  CUDA GPU (JCuda probe): " + gpuLine + "\n"
                        + HOW_TO_FIX;
            }
        }

        private static String version(NvjpegLibrary lib) {
            int[] v = new int[3];
            int[] types = {NvjpegLibrary.MAJOR_VERSION, NvjpegLibrary.MINOR_VERSION, NvjpegLibrary.PATCH_LEVEL};
            for (int i = 0; i < 3; i++) {
                IntByReference value = new IntByReference();
                NvjpegException.check(lib.nvjpegGetProperty(types[i], value), "nvjpegGetProperty");
                v[i] = value.getValue();
            }
            return v[0] + "." + v[1] + "." + v[2];
        }

        /**
         * One line for a load failure: dlopen's own sentence when there is one (JNA's message adds the
         * whole class path it searched, which helps nobody), else the error itself.
         */
        private static String deepestMessage(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                String m = t.getMessage();
                if (m != null) {
                    Matcher dlopen = DLOPEN.matcher(m);
                    if (dlopen.find()) {
                        return dlopen.group();
                    }
                }
            }
            String line = e.toString().replace('\n', ' ');
            int searched = line.indexOf(" Native library ("); // JNA's class path search follows: noise here
            line = searched > 0 ? line.substring(0, searched) : line;
            return line.length() > 300 ? line.substring(0, 300) + "..." : line;
        }
    }
}
