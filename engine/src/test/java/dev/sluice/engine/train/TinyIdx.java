package dev.sluice.engine.train;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a small gzipped IDX image/label pair (the MNIST file format the CLI's {@code ingest}
 * reads): 10x10 greyscale images whose class is a bright column at a class-dependent position,
 * plus noise.
 */
final class TinyIdx {
    private static final int SIDE = 10;

    private TinyIdx() {
    }

    static void write(Path images, Path labels, int count, long seed) throws IOException {
        Random rnd = new Random(seed);
        try (DataOutputStream img = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)));
             DataOutputStream lab = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(labels)))) {
            img.writeInt(0x0803); // unsigned bytes, 3 dimensions
            img.writeInt(count);
            img.writeInt(SIDE);
            img.writeInt(SIDE);
            lab.writeInt(0x0801); // unsigned bytes, 1 dimension
            lab.writeInt(count);
            for (int i = 0; i < count; i++) {
                int label = rnd.nextInt(10);
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        img.write(x == label ? 180 + rnd.nextInt(76) : rnd.nextInt(50));
                    }
                }
                lab.write(label);
            }
        }
    }
}
