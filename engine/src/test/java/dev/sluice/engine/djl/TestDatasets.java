package dev.sluice.engine.djl;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small labelled image datasets whose every byte is a known function of the sample id. */
final class TestDatasets {

    static final int CLASSES = 10;

    private TestDatasets() {}

    /** Label of sample {@code id}. */
    static int label(long id) {
        return (int) (id % CLASSES);
    }

    /**
     * Byte {@code j} (HWC order) of sample {@code id} of a "bands" image: rows {@code label} and
     * {@code label + 1} are bright, the rest dark, with id-dependent noise. Learnable from pixels.
     */
    static int bandsPixel(long id, int j, int width, int channels) {
        int row = j / (width * channels);
        int cls = label(id);
        int noise = (int) ((id * 0x9E3779B97F4A7C15L + j * 0xBF58476D1CE4E5B9L) >>> 58); // 0..63
        return row == cls || row == cls + 1 ? 192 + noise : noise;
    }

    /**
     * Writes splits {@code train} and {@code test} of a 12x12x1 bands dataset with class names,
     * small shards so an epoch spans several.
     */
    static Path bands(Path dir, int train, int test) throws IOException {
        return write(dir, 12, 12, 1, Map.of("image.layout", "HWC"), train, test);
    }

    /** A dataset of {@code h x w x c} HWC images with the given metadata (normalization, layout). */
    static Path write(Path dir, int h, int w, int c, Map<String, String> metadata, int train, int test)
            throws IOException {
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < CLASSES; i++) {
            classes.add("class-" + i);
        }
        Schema schema = Schema.of(FieldSpec.of("image", DType.UINT8, h, w, c),
                FieldSpec.of("label", DType.UINT8).withClasses(classes));
        Path root = dir.resolve("data");
        ByteBuffer px = ByteBuffer.allocate(h * w * c);
        ByteBuffer lab = ByteBuffer.allocate(1);
        try (FileStore store = new FileStore(root);
             DatasetWriter writer = new DatasetWriter(store, "bands", schema, 8 << 10, dir.resolve("staging"),
                     metadata, null)) {
            for (String split : new String[] {"train", "test"}) {
                int n = split.equals("train") ? train : test;
                for (long id = 0; id < n; id++) {
                    for (int j = 0; j < h * w * c; j++) {
                        px.put(j, (byte) bandsPixel(id, j, w, c));
                    }
                    lab.put(0, (byte) label(id));
                    writer.add(split, px.clear(), lab.clear());
                }
            }
            writer.commit();
        }
        return root;
    }
}
