package dev.sluice.data.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.testing.ExternalProgram;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Ties the Java twin to the CUDA C source without a GPU: native/src/test/host/run.sh compiles the
 * kernels' per-pixel code (sluice_transform.cuh) for the host, runs it over the same inputs and
 * prints the CRC32 of each case's little-endian float32 output. The constants below are that
 * program's output; a change on either side breaks this test until both agree again.
 */
class CrossLanguageGoldenTest {

    @Test
    void convertHwc() {
        check(TransformSpec.builder(Layout.HWC, 5, 7, 3).build(), 3, 0, 0x566428b2L);
    }

    @Test
    void convertChw() {
        check(TransformSpec.builder(Layout.CHW, 5, 7, 3).build(), 3, 0, 0x4aed7e38L);
    }

    @Test
    void normalizeHwc() {
        check(TransformSpec.builder(Layout.HWC, 6, 4, 3)
                .normalize(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.247f, 0.243f, 0.261f})
                .build(), 4, 0, 0x55a093ddL);
    }

    @Test
    void augmentHwc() {
        check(TransformSpec.builder(Layout.HWC, 8, 8, 3)
                .normalize(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f})
                .randomCrop(4).flip(true).seed(42).build(), 16, 1000, 0xf06156edL);
    }

    @Test
    void augmentChw() {
        check(TransformSpec.builder(Layout.CHW, 9, 5, 4)
                .normalize(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, new float[] {0.5f, 0.6f, 0.7f, 0.8f})
                .randomCrop(2).flip(true).seed(0xDEADBEEFCAFEL).build(), 9, 77, 0x3be81546L);
    }

    @Test
    void flipOnlyGray() {
        check(TransformSpec.builder(Layout.CHW, 3, 6, 1)
                .normalize(new float[] {0.5f}, new float[] {0.25f}).flip(true).seed(5).build(), 12, 0, 0xb99bf3edL);
    }

    /**
     * The constants above are what the host program prints: compile and run it (needs a C++17
     * compiler, no CUDA), so they stay tied to the CUDA C source rather than to a past run of it.
     */
    @Test
    void theHostProgramOverTheCudaSourcePrintsTheseValues() throws Exception {
        Path root = ExternalProgram.repositoryRoot();
        String out = ExternalProgram.run(System.getenv().getOrDefault("CXX", "g++"),
                "apt-get install g++ (or set CXX to a C++17 compiler)", root, 300,
                List.of("bash", root.resolve("native/src/test/host/run.sh").toString()));
        Map<String, String> crc = new LinkedHashMap<>();
        out.lines().filter(l -> l.startsWith("crc ")).forEach(l -> {
            String[] f = l.trim().split("\\s+");
            crc.put(f[1], f[2]);
        });
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("convert-hwc", "0x566428b2");
        expected.put("convert-chw", "0x4aed7e38");
        expected.put("normalize-hwc", "0x55a093dd");
        expected.put("augment-hwc", "0xf06156ed");
        expected.put("augment-chw", "0x3be81546");
        expected.put("flip-only-gray", "0xb99bf3ed");
        assertEquals(expected, crc, out);
        // the per-sample hash behind the augment decisions, as SampleRandom computes it
        assertTrue(out.contains(String.format("hash(7, 3) = 0x%016x", SampleRandom.sampleHash(7, 3))), out);
    }

    private static void check(TransformSpec spec, int n, long firstSampleId, long expectedCrc) {
        ByteBuffer in = ByteBuffer.allocateDirect(n * spec.inputBytesPerSample());
        for (int i = 0; i < in.capacity(); i++) {
            in.put(i, (byte) (SampleRandom.mix64(i + 12345L) >>> 56));
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * spec.outputBytesPerSample())).order(ByteOrder.nativeOrder());
        new CpuBatchTransform(spec).apply(in, n, firstSampleId, out);
        ByteBuffer le = ByteBuffer.allocate(out.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < out.capacity(); i += 4) {
            le.putFloat(i, out.getFloat(i));
        }
        CRC32 crc = new CRC32();
        crc.update(le.array());
        assertEquals(expectedCrc, crc.getValue(), () -> String.format("CRC32 0x%08x of %s", crc.getValue(), spec));
    }
}
