package dev.sluice.engine.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.transform.Layout;
import dev.sluice.data.transform.TransformSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Checks the packaged PTX against what the launcher passes; needs no GPU. */
class TransformKernelsPtxTest {

    private static final String PTX = TransformKernels.ptxText();

    @Test
    void everyKernelEntryIsInThePackagedPtx() {
        for (String entry : TransformKernels.ENTRIES) {
            assertTrue(PTX.contains(".visible .entry " + entry + "("), "PTX lacks .entry " + entry);
        }
        Matcher m = Pattern.compile("\\.entry (\\w+)\\(").matcher(PTX);
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        assertEquals(TransformKernels.ENTRIES.size(), found.size(), "entries in the PTX: " + found);
    }

    @Test
    void ptxIsJitCompilableByCuda12DriversForAmpereAndLater() {
        Matcher v = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)$").matcher(PTX);
        assertTrue(v.find(), "no .version line");
        int version = Integer.parseInt(v.group(1)) * 10 + Integer.parseInt(v.group(2));
        assertTrue(version <= 80, "PTX ISA " + v.group() + " needs a driver newer than CUDA 12.0");
        assertTrue(PTX.contains("\n.target sm_80\n"), "PTX must target sm_80 (JIT-compiled forward)");
        assertTrue(PTX.contains("\n.address_size 64\n"));
    }

    @Test
    void floatMathIsNotContractedIntoFusedMultiplyAdds() {
        // -fmad=false: every float multiply and subtract is rounded on its own, as in Java
        assertFalse(PTX.contains("fma.rn.f32"), "PTX contains fma.rn.f32: rebuild with -fmad=false");
        assertTrue(PTX.contains("mul.rn.f32") && PTX.contains("sub.rn.f32"));
    }

    @Test
    void kernelParametersMatchWhatTheLauncherPasses() {
        assertEquals(List.of("u64", "u64", "u32", "u32", "u32", "u32", "u32"), params(TransformKernels.CONVERT));
        assertEquals(List.of("u64", "u64", "u32", "u32", "u32", "u32", "u32", "b8[128]"),
                params(TransformKernels.NORMALIZE));
        assertEquals(List.of("u64", "u64", "u32", "u32", "u32", "u32", "u32", "b8[128]", "u32", "u32", "u32", "u64",
                "u64"), params(TransformKernels.AUGMENT_NORMALIZE));
    }

    @Test
    void kernelChoiceFollowsTheSpec() {
        TransformSpec plain = TransformSpec.builder(Layout.HWC, 4, 4, 3).build();
        assertEquals(TransformKernels.CONVERT, TransformKernels.kernelFor(plain));
        TransformSpec norm = plain.toBuilder().normalize(new float[] {0.5f, 0.5f, 0.5f}, new float[] {1, 1, 1}).build();
        assertEquals(TransformKernels.NORMALIZE, TransformKernels.kernelFor(norm));
        assertEquals(TransformKernels.AUGMENT_NORMALIZE, TransformKernels.kernelFor(plain.toBuilder().flip(true).build()));
        assertEquals(TransformKernels.AUGMENT_NORMALIZE, TransformKernels.kernelFor(norm.toBuilder().randomCrop(2).build()));
    }

    /** Parameter types of one entry, e.g. "u32" or "b8[128]" for a by-value struct. */
    private static List<String> params(String entry) {
        int start = PTX.indexOf(".entry " + entry + "(");
        int end = PTX.indexOf(')', start);
        Matcher m = Pattern.compile("\\.param (?:\\.align \\d+ )?\\.(\\w+) " + entry + "_param_\\d+(\\[\\d+\\])?")
                .matcher(PTX.substring(start, end));
        List<String> types = new ArrayList<>();
        while (m.find()) {
            types.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
        }
        return types;
    }
}
