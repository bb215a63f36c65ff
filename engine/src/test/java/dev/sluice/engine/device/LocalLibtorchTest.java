package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL on a local libtorch through PYTORCH_LIBRARY_PATH (the route to CUDA: a pip-installed torch
 * 2.7.1+cu128), shown on the CPU: the CPU libtorch DJL extracts from pytorch-native-cpu is laid out
 * like a pip install's {@code torch/lib} in a temporary directory, and a child JVM given only
 * PYTORCH_LIBRARY_PATH runs on it, offline. The kernel's memory map of the child names the files it
 * runs, so the test reads where libtorch really came from rather than trusting DJL's word.
 */
class LocalLibtorchTest {

    @Test
    void childJvmRunsOnTheLibtorchNamedByPytorchLibraryPath(@TempDir Path tmp) throws Exception {
        Engine.getEngine("PyTorch"); // makes DJL extract its bundled CPU libtorch, offline
        Path bundled = Path.of(LibUtils.getLibtorchPath()).toRealPath();
        Path torch = Files.createDirectories(tmp.resolve("venv/site-packages/torch"));
        Path lib = Files.createDirectories(torch.resolve("lib"));
        try (Stream<Path> files = Files.list(bundled)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (Files.isRegularFile(f) && !name.endsWith("libdjl_torch.so")) {
                    link(f, lib.resolve(name));
                }
            }
        }
        Files.writeString(torch.resolve("version.py"), "__version__ = '2.7.1+cpu'\n", StandardCharsets.UTF_8);
        Path cache = tmp.resolve("djl-cache");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), LocalLibtorchMain.class.getName());
        Map<String, String> env = pb.environment();
        env.put("PYTORCH_LIBRARY_PATH", lib.toString());
        env.remove("PYTORCH_VERSION");
        env.remove("PYTORCH_FLAVOR");
        env.put("ENGINE_CACHE_DIR", cache.toString());
        pb.redirectErrorStream(true);
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, child.exitValue(), out);

        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("sum=6.0"), out);
        assertTrue(lines.contains("gpus=0"), out);
        assertTrue(lines.contains("libtorch=" + lib.toAbsolutePath()), out);
        List<String> libtorch = lines.stream().filter(l -> l.startsWith("mapped=") && l.endsWith("libtorch_cpu.so"))
                .distinct().toList();
        assertEquals(List.of("mapped=" + lib.toRealPath().resolve("libtorch_cpu.so")), libtorch,
                "libtorch_cpu.so comes from PYTORCH_LIBRARY_PATH only, not from " + bundled + ":\n" + out);
        // the JNI was chosen for the version and flavor LocalLibtorch filled in (2.7.1, cpu)
        String jniName;
        try (Stream<Path> files = Files.list(bundled)) {
            jniName = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith("-libdjl_torch.so"))
                    .findFirst().orElseThrow(); // e.g. 0.36.0-libdjl_torch.so, named by DJL's API version
        }
        Path jni = cache.toRealPath().resolve("pytorch/2.7.1-cpu-linux-x86_64").resolve(jniName);
        assertTrue(lines.contains("mapped=" + jni), jni + " expected in:\n" + out);
    }

    @Test
    void onlyTheMissingSettingsAreFilledInFromTheDirectory(@TempDir Path tmp) throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("torch/lib"));
        assertEquals(Optional.empty(), LocalLibtorch.inspect(k -> null, k -> null));

        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
                () -> LocalLibtorch.inspect(Map.of("PYTORCH_LIBRARY_PATH", lib.toString())::get, k -> null));
        assertTrue(e.getMessage().contains("holds no libtorch.so"), e.getMessage());

        Files.writeString(lib.resolve("libtorch.so"), "");
        LocalLibtorch.Setup cpu = LocalLibtorch.inspect(Map.of("PYTORCH_LIBRARY_PATH", lib.toString())::get,
                k -> null).orElseThrow();
        assertFalse(cpu.cuda());
        assertEquals(Map.of("PYTORCH_VERSION", "2.7.1", "PYTORCH_FLAVOR", "cpu"), cpu.properties());
        assertEquals(Optional.empty(), cpu.torchVersion());

        Files.writeString(lib.resolve("libtorch_cuda.so"), "");
        Files.writeString(tmp.resolve("torch/version.py"), "__version__ = '2.11.0+cu130'\ncuda = '13.0'\n");
        LocalLibtorch.Setup cuda = LocalLibtorch.inspect(Map.of("PYTORCH_LIBRARY_PATH", lib.toString(),
                "PYTORCH_VERSION", "2.7.1")::get, Map.of("PYTORCH_FLAVOR", "")::get).orElseThrow();
        assertTrue(cuda.cuda());
        assertEquals(Map.of("PYTORCH_FLAVOR", "cu128"), cuda.properties(), "the user's PYTORCH_VERSION stays");
        assertEquals(Optional.of("2.11.0+cu130"), cuda.torchVersion());
        assertTrue(cuda.versionMismatch().orElseThrow().contains("PyTorch 2.11.0+cu130, but DJL's JNI in this"
                + " build is for 2.7.1"), cuda.versionMismatch().toString());

        Files.writeString(tmp.resolve("torch/version.py"), "__version__ = '2.7.1+cu128'\n");
        assertEquals(Optional.empty(), LocalLibtorch.inspect(Map.of("PYTORCH_LIBRARY_PATH", lib.toString())::get,
                k -> null).orElseThrow().versionMismatch());
    }

    /** A hard link where the file system allows it (no copy of 450 MB), else a copy. */
    private static void link(Path target, Path link) throws IOException {
        try {
            Files.createLink(link, target);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(target, link);
        }
    }
}
