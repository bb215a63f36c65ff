package dev.sluice.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading: without CUDA/NCCL (this machine, CI) one clear message and a live JVM; with them, a
 * runtime. Explicit paths are checked before any native code runs.
 */
class NcclLoadTest {

    @Test
    void loadGivesOneClearMessageOrARuntime() {
        NcclAvailability availability = Nccl.availability(TestNccl.options());
        if (availability.available()) {
            NcclRuntime runtime = Nccl.load(TestNccl.options());
            assertSame(runtime, Nccl.load(), "loaded once per JVM");
            assertTrue(runtime.ncclVersionCode() >= NativeLoader.MIN_NCCL_VERSION_CODE);
            assertEquals(runtime.description(), availability.message());
            return;
        }
        String message = availability.message();
        NcclUnavailableException first = assertThrows(NcclUnavailableException.class,
                () -> Nccl.load(TestNccl.options()));
        assertEquals(message, first.getMessage(), "load() and availability() tell the same story");
        NcclUnavailableException again = assertThrows(NcclUnavailableException.class,
                () -> Nccl.load(TestNccl.options()));
        assertEquals(message, again.getMessage(), "the outcome is remembered, not retried");

        assertTrue(message.startsWith("NCCL is not available: "), message);
        for (String soname : new String[] {"libcuda.so.1", "libnccl.so.2"}) {
            assertTrue(message.contains("\n  " + soname), "lists " + soname + ":\n" + message);
        }
        assertTrue(message.contains("LD_LIBRARY_PATH"), message);
        assertTrue(message.contains("nvidia-nccl-cu12"), message);
        assertTrue(message.contains("torch==2.7.1"), message);
        assertFalse(message.contains("libcudart"), "NCCL alone needs no CUDA runtime library:\n" + message);
        assertTrue(message.contains("site-packages/nvidia/nccl/lib"), message);
        assertTrue(message.contains("--nccl-lib PATH"), message);

        // The reason names the library the linker could not find, and the table agrees it is missing.
        String reason = message.lines().findFirst().orElseThrow();
        Optional<String> named = java.util.stream.Stream.of("libcuda.so.1", "libnccl.so.2")
                .filter(reason::contains).findFirst();
        if (named.isPresent()) {
            String row = message.lines().filter(l -> l.startsWith("  " + named.get())).findFirst().orElseThrow();
            assertTrue(row.endsWith(": not found"), row);
        }
        // The JVM is alive and later calls still answer (no crash, no NoClassDefFoundError leaking out).
        assertEquals(message, Nccl.availability(TestNccl.options()).message());
    }

    @Test
    void explicitPathThatDoesNotExistIsRejectedBeforeLoading(@TempDir Path dir) {
        Path missing = dir.resolve("nowhere/libnccl.so.2");
        NcclUnavailableException e = assertThrows(NcclUnavailableException.class,
                () -> NcclLoadOptions.defaults().withNcclLibrary(missing).resolvedNcclLibrary());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("(--nccl-lib)"), e.getMessage());
        assertTrue(e.getMessage().contains("nvidia-nccl-cu12"), e.getMessage());
    }

    @Test
    void explicitDirectoryMustHoldTheLibrary(@TempDir Path dir) {
        NcclUnavailableException e = assertThrows(NcclUnavailableException.class,
                () -> NcclLoadOptions.defaults().withNcclLibrary(dir).resolvedNcclLibrary());
        assertTrue(e.getMessage().contains("looked for " + dir.resolve("libnccl.so.2")), e.getMessage());
    }

    @Test
    void explicitFileResolvesToItsAbsolutePath(@TempDir Path dir) throws IOException {
        // A neutral file name: this test never loads anything and never creates a library look-alike.
        Path file = Files.writeString(dir.resolve("nccl-path-check.txt"), "not a library");
        NcclLoadOptions options = NcclLoadOptions.defaults().withNcclLibrary(file);
        assertEquals(Optional.of(file.toAbsolutePath().normalize()), options.resolvedNcclLibrary());
        assertEquals(Optional.empty(), NcclLoadOptions.defaults().resolvedNcclLibrary());
        assertTrue(NcclLoadOptions.defaults().isDefault());
        assertEquals("NCCL library " + file, options.toString());
    }

    @Test
    void linkerErrorsNameTheMissingLibrary() {
        // the shape of JNA's error when a dependency of the library is missing
        UnsatisfiedLinkError inner = new UnsatisfiedLinkError("/opt/nccl/libnccl.so.2: libcuda.so.1:"
                + " cannot open shared object file: No such file or directory");
        UnsatisfiedLinkError outer = new UnsatisfiedLinkError("Unable to load library 'libnccl.so.2'");
        outer.initCause(inner);
        assertEquals(Optional.of("libcuda.so.1"), LibraryProbe.missingLibrary(outer));
        assertEquals("libcuda.so.1 (NVIDIA driver) could not be found by the dynamic linker",
                LibraryProbe.reasonFor(outer));

        UnsatisfiedLinkError nccl = new UnsatisfiedLinkError("Unable to load library 'libnccl.so.2':\nlibnccl.so.2:"
                + " cannot open shared object file: No such file or directory");
        assertEquals("libnccl.so.2 (NCCL 2) could not be found by the dynamic linker", LibraryProbe.reasonFor(nccl));

        UnsatisfiedLinkError other = new UnsatisfiedLinkError("/x/libnccl.so.2: undefined symbol: ncclFoo");
        assertEquals(Optional.empty(), LibraryProbe.missingLibrary(other));
        assertEquals("libnccl.so.2 could not be bound: /x/libnccl.so.2: undefined symbol: ncclFoo",
                LibraryProbe.reasonFor(other));
    }

    @Test
    void probeFindsLibrariesInExplicitDirectoriesFirst(@TempDir Path dir) throws IOException {
        // Looks up a made-up soname, so nothing resembling a CUDA/NCCL library is ever created.
        Path file = Files.writeString(dir.resolve("libsluice-probe-check.so.7"), "x");
        assertEquals(Optional.of(file), LibraryProbe.locate("libsluice-probe-check.so.7", java.util.List.of(dir)));
        assertEquals(Optional.empty(), LibraryProbe.locate("libsluice-probe-absent.so.7", java.util.List.of(dir)));
    }
}
