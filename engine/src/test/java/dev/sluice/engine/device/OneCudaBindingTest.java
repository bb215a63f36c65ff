package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.nccl.Nccl;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * JCuda is the engine's only CUDA binding, and the NCCL bindings bind NCCL alone. Checked on the
 * compiled classes (their constant pools name every class they touch, imported or written out in
 * full), so a second CUDA runtime binding cannot creep back in through any file. The engine's nvJPEG
 * binding is JNA (not a CUDA runtime binding), and its JNA interface names no CUDA binding at all.
 */
class OneCudaBindingTest {

    /** Bindings of the CUDA runtime or driver other than JCuda, as class-name prefixes in class files. */
    private static final List<String> OTHER_CUDA_BINDINGS = List.of("org/bytedeco/cuda/", "org/bytedeco/javacpp/",
            "jcuda/jcudpp", "org/nd4j/", "com/nvidia/");

    @Test
    void engineClassesUseNoCudaBindingButJCuda() throws Exception {
        List<String> offenders = offenders(location(CudaProbe.class), OTHER_CUDA_BINDINGS);
        assertEquals(List.of(), offenders, "engine classes that use a CUDA binding other than JCuda");
    }

    @Test
    void ncclBindingsUseNoCudaRuntimeBindingAtAll() throws Exception {
        List<String> all = new ArrayList<>(OTHER_CUDA_BINDINGS);
        all.add("jcuda/");
        List<String> offenders = offenders(location(Nccl.class), all);
        assertEquals(List.of(), offenders, "nccl-bindings classes that use a CUDA runtime binding");
    }

    @Test
    void theNvjpegBindingBindsNvjpegAlone() throws Exception {
        // nvJPEG is bound with JNA like NCCL (no JCuda artifact ships it, and JavaCPP's would bring a
        // second CUDA runtime); the decoder takes device memory and streams from JCuda, so the JNA
        // interface itself must name no CUDA binding at all
        String resource = "/dev/sluice/engine/nvjpeg/NvjpegLibrary.class";
        byte[] bytes;
        try (InputStream in = getClass().getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " is missing");
            bytes = in.readAllBytes();
        }
        List<String> all = new ArrayList<>(OTHER_CUDA_BINDINGS);
        all.add("jcuda/");
        List<String> found = new ArrayList<>();
        check(resource, bytes, all, found);
        assertEquals(List.of(), found, "the nvJPEG binding uses a CUDA runtime binding");
        check(resource, bytes, List.of("com/sun/jna/Library"), found);
        assertEquals(1, found.size(), "the scan should see the JNA interface it binds through");
    }

    @Test
    void noSecondCudaRuntimeBindingIsOnTheEngineClasspath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.bytedeco.cuda.global.cudart", false,
                getClass().getClassLoader()), "JavaCPP's cudart must not reach the engine's classpath");
    }

    @Test
    void theScanSeesWhatItLooksFor() throws Exception {
        // the scan itself works: JCuda names are found in the engine's classes
        assertTrue(!offenders(location(CudaProbe.class), List.of("jcuda/runtime/JCuda")).isEmpty());
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Class files under {@code root} (a directory or a jar) whose bytes name one of {@code prefixes}. */
    private static List<String> offenders(Path root, List<String> prefixes) throws IOException {
        List<String> found = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                    check(root.relativize(f).toString(), Files.readAllBytes(f), prefixes, found);
                }
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
                    if (e.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            check(e.getName(), in.readAllBytes(), prefixes, found);
                        }
                    }
                }
            }
        }
        return found;
    }

    private static void check(String name, byte[] classFile, List<String> prefixes, List<String> found) {
        // class names sit in the constant pool as modified UTF-8, which is ASCII for these names
        String text = new String(classFile, StandardCharsets.ISO_8859_1);
        for (String prefix : prefixes) {
            if (text.contains(prefix)) {
                found.add(name + " -> " + prefix);
            }
        }
    }
}
