package dev.sluice.data.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransformSpecTest {

    @Test
    void defaultsOnlyConvert() {
        TransformSpec s = TransformSpec.builder(Layout.HWC, 32, 24, 3).build();
        assertFalse(s.normalizes());
        assertFalse(s.augments());
        assertEquals(0f, s.mean(2));
        assertEquals(1f, s.std(2));
        assertEquals(1f, s.invStd(2));
        assertEquals(32 * 24 * 3, s.inputBytesPerSample());
        assertEquals(4L * 32 * 24 * 3, s.outputBytesPerSample());
    }

    @Test
    void valuesAreCopiedAndCompared() {
        float[] mean = {0.5f, 0.25f};
        float[] std = {0.5f, 0.2f};
        TransformSpec a = TransformSpec.builder(Layout.CHW, 8, 8, 2).normalize(mean, std).randomCrop(2)
                .flip(true).seed(9).build();
        mean[0] = 7f; // the spec keeps its own copy
        assertEquals(0.5f, a.mean(0));
        assertEquals(1f / 0.2f, a.invStd(1));
        assertTrue(a.normalizes());
        assertTrue(a.augments());
        TransformSpec b = a.toBuilder().build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        TransformSpec c = a.withSeed(10);
        assertNotEquals(a, c);
        assertEquals(10, c.seed());
        assertEquals(2, c.pad());
    }

    @Test
    void rejectsInvalidValuesWithTheirNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransformSpec.builder(Layout.HWC, 4, 4, 3).pad(4).build());
        assertTrue(e.getMessage().contains("pad = 4") && e.getMessage().contains("crop off"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransformSpec.builder(Layout.HWC, 4, 4, 3)
                .normalize(new float[] {0, 0}, new float[] {1, 1}).build());
        assertTrue(e.getMessage().contains("3 channels, got 2 means"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransformSpec.builder(Layout.HWC, 4, 4, 1)
                .normalize(new float[] {0}, new float[] {0}).build());
        assertTrue(e.getMessage().contains("std[0] = 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransformSpec.builder(Layout.HWC, 4, 4, 17).build());
        assertTrue(e.getMessage().contains("channels = 17"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransformSpec.builder(Layout.HWC, 0, 4, 1).build());
        assertTrue(e.getMessage().contains("0x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TransformSpec.builder(Layout.HWC, 4, 4, 1).randomCrop(-1).build());
        assertTrue(e.getMessage().contains("pad = -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransformSpec.builder(Layout.HWC, 4, 4, 1)
                .normalize(new float[] {Float.NaN}, new float[] {1}).build());
        assertTrue(e.getMessage().contains("mean[0] = NaN"), e.getMessage());
    }
}
