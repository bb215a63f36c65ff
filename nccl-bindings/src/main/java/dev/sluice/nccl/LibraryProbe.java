package dev.sluice.nccl;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pure-Java diagnostics for the "NCCL is not available" message: where each required library would be
 * found (mirroring the dynamic linker's search closely enough to explain a failure) and which one the
 * linker error names. It never loads anything; the actual load decides availability.
 */
final class LibraryProbe {
    /** One library NCCL needs at run time, with the part of the system that provides it. */
    record Requirement(String soname, String role) {
    }

    static final List<Requirement> REQUIRED = List.of(
            new Requirement(NcclLoadOptions.DRIVER_SONAME, "NVIDIA driver"),
            new Requirement(NcclLoadOptions.NCCL_SONAME, "NCCL 2"));

    /** How to provide the libraries; part of every "not available" message. */
    static final String HOW_TO_FIX = "To use NCCL: run on a host with an NVIDIA GPU and its driver"
            + " (provides libcuda.so.1), and make libnccl.so.2 loadable: add its directory to LD_LIBRARY_PATH"
            + " or name it (or its directory) with --nccl-lib PATH (NcclLoadOptions.withNcclLibrary). Use the"
            + " NCCL built for the CUDA major the rest of the process uses: with DJL's PyTorch 2.7.1 (CUDA 12.8)"
            + " that is the nvidia-nccl-cu12 wheel pip installs with torch==2.7.1"
            + " (site-packages/nvidia/nccl/lib), or NVIDIA's libnccl2 package for CUDA 12.";

    /** Directories the dynamic linker searches besides LD_LIBRARY_PATH and ld.so.cache. */
    private static final List<String> DEFAULT_DIRS = List.of(
            "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/usr/local/cuda/lib64", "/usr/local/cuda/lib", "/usr/local/cuda/targets/x86_64-linux/lib");

    /** "libfoo.so.1: cannot open shared object file" as printed by glibc's dlopen. */
    private static final Pattern CANNOT_OPEN =
            Pattern.compile("([A-Za-z0-9_.+-]+\\.so(?:\\.[0-9]+)*): cannot open shared object file");

    private LibraryProbe() {
    }

    /**
     * The full "not available" message: the reason, where each required library was (or was not)
     * found, and {@code fix}.
     */
    static String unavailableMessage(String reason, NcclLoadOptions options, String fix) {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("NCCL is not available: ").append(reason.strip());
        if (!reason.strip().endsWith(".")) {
            sb.append('.');
        }
        sb.append('\n');
        List<Path> explicitDirs = explicitDirectories(options);
        for (Requirement r : REQUIRED) {
            Optional<Path> explicit = explicitFile(options, r.soname());
            String where = explicit.map(p -> p + " (explicit)")
                    .orElseGet(() -> locate(r.soname(), explicitDirs).map(Path::toString).orElse("not found"));
            sb.append(String.format(Locale.ROOT, "  %-16s (%s): %s%n", r.soname(), r.role(), where));
        }
        sb.append(fix);
        return sb.toString();
    }

    /** The reason sentence for a linker error thrown while loading the natives. */
    static String reasonFor(Throwable error) {
        Optional<String> missing = missingLibrary(error);
        if (missing.isPresent()) {
            String soname = missing.get();
            String role = REQUIRED.stream().filter(r -> r.soname().equals(soname)).map(Requirement::role)
                    .findFirst().orElse("a dependency of libnccl.so.2");
            return soname + " (" + role + ") could not be found by the dynamic linker";
        }
        return "libnccl.so.2 could not be bound: " + firstMessage(error);
    }

    /** The soname a dlopen error in {@code error}'s cause chain reports as missing, if any. */
    static Optional<String> missingLibrary(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                Matcher m = CANNOT_OPEN.matcher(message);
                // The last match is the library that is actually missing: "libnccl.so.2: libfoo.so.1: cannot open".
                String last = null;
                while (m.find()) {
                    last = m.group(1);
                }
                if (last != null) {
                    return Optional.of(last);
                }
            }
        }
        return Optional.empty();
    }

    /** The most specific message in the cause chain (the deepest non-empty one). */
    static String firstMessage(Throwable error) {
        String best = error.toString();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                best = t.getMessage().strip();
            }
        }
        return best;
    }

    /**
     * Where the dynamic linker would likely find {@code soname}: the explicit directories,
     * LD_LIBRARY_PATH, java.library.path, ld.so.cache, then the default and CUDA directories.
     */
    static Optional<Path> locate(String soname, List<Path> explicitDirs) {
        Set<Path> dirs = new LinkedHashSet<>(explicitDirs);
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        addPathList(dirs, System.getProperty("java.library.path"));
        for (Path dir : dirs) {
            Path candidate = dir.resolve(soname);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        Optional<Path> cached = fromLdCache(soname);
        if (cached.isPresent()) {
            return cached;
        }
        for (String dir : DEFAULT_DIRS) {
            Path candidate = Path.of(dir, soname);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The explicitly given file for {@code soname}, if the options name an existing one. */
    private static Optional<Path> explicitFile(NcclLoadOptions options, String soname) {
        Path given = soname.equals(NcclLoadOptions.NCCL_SONAME) ? options.ncclLibrary() : null;
        if (given == null) {
            return Optional.empty();
        }
        Path absolute = given.toAbsolutePath().normalize();
        Path file = Files.isDirectory(absolute) ? absolute.resolve(soname) : absolute;
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    private static List<Path> explicitDirectories(NcclLoadOptions options) {
        List<Path> dirs = new ArrayList<>(1);
        Path p = options.ncclLibrary();
        if (p != null) {
            Path absolute = p.toAbsolutePath().normalize();
            dirs.add(Files.isDirectory(absolute) ? absolute : absolute.getParent());
        }
        return dirs;
    }

    private static void addPathList(Set<Path> dirs, String list) {
        if (list == null || list.isBlank()) {
            return;
        }
        for (String entry : list.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                dirs.add(Path.of(entry));
            }
        }
    }

    /**
     * Looks {@code soname} up in /etc/ld.so.cache. The cache's string table holds each library's
     * full path as a NUL-terminated string, so scanning for "/soname" avoids parsing its binary
     * layout (which differs between glibc versions).
     */
    private static Optional<Path> fromLdCache(String soname) {
        Path cache = Path.of("/etc/ld.so.cache");
        byte[] bytes;
        try {
            if (!Files.isRegularFile(cache) || Files.size(cache) > (64L << 20)) {
                return Optional.empty();
            }
            bytes = Files.readAllBytes(cache);
        } catch (IOException | SecurityException e) {
            // Diagnostics only: an unreadable cache just means we cannot say where the library is.
            return Optional.empty();
        }
        String suffix = "/" + soname;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == 0) {
                if (i - start > suffix.length() && bytes[start] == '/') {
                    String s = new String(bytes, start, i - start, StandardCharsets.ISO_8859_1);
                    if (s.endsWith(suffix) && Files.isRegularFile(Path.of(s))) {
                        return Optional.of(Path.of(s));
                    }
                }
                start = i + 1;
            }
        }
        return Optional.empty();
    }
}
