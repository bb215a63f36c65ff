package dev.sluice.engine.cli;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a small learnable IDX dataset: image {@code i} of class {@code i % 10} has a bright
 * horizontal band at rows that depend on the class, plus noise.
 */
final class IdxFiles {

    /**
     * Writes {@code n} samples (seed {@code seed}) into {@code work} and ingests them with the CLI as
     * split {@code split} of the dataset at {@code to}.
     */
    static void ingest(Path work, Path to, String split, int n, long seed) throws IOException {
        Path img = work.resolve(split + "-img.gz");
        Path lab = work.resolve(split + "-lab.gz");
        write(img, lab, n, seed);
        CliRunner.Result r = CliRunner.run("ingest", "--from", "idx:" + img + "," + lab, "--to", to.toString(),
                "--split", split);
        if (r.code() != 0) {
            throw new IllegalStateException("ingest of " + split + " failed: " + r.all());
        }
    }

    static void write(Path images, Path labels, int n, long seed) throws IOException {
        java.util.Random rnd = new java.util.Random(seed);
        try (DataOutputStream img = new DataOutputStream(gz(images)); DataOutputStream lab = new DataOutputStream(gz(labels))) {
            img.writeInt(0x00000803);
            img.writeInt(n);
            img.writeInt(12);
            img.writeInt(12);
            lab.writeInt(0x00000801);
            lab.writeInt(n);
            for (int i = 0; i < n; i++) {
                int cls = i % 10;
                for (int r = 0; r < 12; r++) {
                    for (int c = 0; c < 12; c++) {
                        boolean band = r == cls || r == cls + 1;
                        img.write(band ? 200 + rnd.nextInt(56) : rnd.nextInt(60));
                    }
                }
                lab.write(cls);
            }
        }
    }

    private static OutputStream gz(Path p) throws IOException {
        return new GZIPOutputStream(Files.newOutputStream(p));
    }

    private IdxFiles() {}
}
