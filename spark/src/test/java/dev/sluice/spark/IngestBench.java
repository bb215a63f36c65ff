package dev.sluice.spark;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/**
 * Benchmark, not a test: the Spark image job on {@code local[N]} against single-process ingest of the
 * same image folder into the same kind of store (local files), side by side in one run, median of
 * several rounds after a warm-up of each. Usage: {@code spark/bench.sh [files] [rounds] [master]}.
 */
public final class IngestBench {

    private IngestBench() {}

    public static void main(String[] args) throws IOException {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String master = args.length > 2 ? args[2] : "local[2]";
        Path tmp = Files.createTempDirectory("sluice-spark-bench");
        try {
            Path folder = tmp.resolve("images");
            long bytes = images(folder, files, 10);
            System.out.printf("image folder: %d JPEG files, %.1f MB, 10 classes%n", files, bytes / 1e6);
            SparkSession spark = SparkSession.builder().master(master).appName("sluice-spark-bench")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            ImageFolderJob.tuneForSmallFiles(spark);
            try {
                double[] single = new double[rounds];
                double[] sparkJob = new double[rounds];
                for (int r = -1; r < rounds; r++) {
                    // round -1 warms up both (JIT, Spark's code generation) and is not counted
                    Path a = tmp.resolve("single-" + r);
                    long t0 = System.nanoTime();
                    Manifest ma = singleProcess(folder, a);
                    double ta = (System.nanoTime() - t0) / 1e9;
                    Path b = tmp.resolve("spark-" + r);
                    t0 = System.nanoTime();
                    Manifest mb = ImageFolderJob.write(spark, folder.toString(), b.toString(), "train", 0,
                            SluiceWriteOptions.defaults()).manifest();
                    double tb = (System.nanoTime() - t0) / 1e9;
                    check(ma, mb, files);
                    delete(a);
                    delete(b);
                    if (r >= 0) {
                        single[r] = ta;
                        sparkJob[r] = tb;
                        System.out.printf("round %d: single-process %.2f s, spark %s %.2f s%n", r, ta, master, tb);
                    }
                }
                double ms = median(single);
                double mk = median(sparkJob);
                System.out.printf("single-process: %.0f files/s (%.1f MB/s)%n", files / ms, bytes / 1e6 / ms);
                System.out.printf("spark %s: %.0f files/s (%.1f MB/s)%n", master, files / mk,
                        bytes / 1e6 / mk);
                System.out.printf("ratio spark / single-process: %.2f%n", ms / mk);
            } finally {
                spark.stop();
            }
        } finally {
            delete(tmp);
        }
    }

    /** Single-process ingest: the files in sorted order, class by class, through DatasetWriter. */
    private static Manifest singleProcess(Path folder, Path out) throws IOException {
        List<Path> classes;
        try (Stream<Path> s = Files.list(folder)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        }
        List<String> names = classes.stream().map(p -> p.getFileName().toString()).toList();
        Schema schema = Schema.of(FieldSpec.bytes("image", "jpeg"), FieldSpec.of("label", DType.INT64).withClasses(names));
        try (ObjectStore store = new FileStore(out);
             DatasetWriter w = new DatasetWriter(store, "bench", schema, 64L << 20, out.resolve(".staging"), Map.of(),
                     null)) {
            ByteBuffer label = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < classes.size(); c++) {
                try (Stream<Path> s = Files.list(classes.get(c))) {
                    for (Path f : s.sorted().toList()) {
                        w.add("train", ByteBuffer.wrap(Files.readAllBytes(f)), label.putLong(0, c));
                    }
                }
            }
            return w.commit();
        }
    }

    private static void check(Manifest a, Manifest b, int files) {
        if (a.split("train").samples() != files || b.split("train").samples() != files) {
            throw new IllegalStateException("expected " + files + " samples, got " + a.split("train").samples()
                    + " (single process) and " + b.split("train").samples() + " (spark)");
        }
    }

    /**
     * JPEGs of 256..383 pixels a side (~100-200 KB of noise, the size of an ImageNet photo), spread over
     * classes. Sixteen are encoded; each file is one of them with a byte of its scan data changed, so every
     * file differs and keeps its JPEG signature.
     */
    private static long images(Path folder, int files, int classes) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        List<byte[]> pool = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int w = 256 + rnd.nextInt(128);
            int h = 256 + rnd.nextInt(128);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, rnd.nextInt(1 << 24));
                }
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ImageIO.write(img, "jpeg", out);
            pool.add(out.toByteArray());
        }
        long bytes = 0;
        for (int i = 0; i < files; i++) {
            Path dir = Files.createDirectories(folder.resolve(String.format("class%02d", i % classes)));
            byte[] b = pool.get(i % pool.size()).clone();
            b[b.length / 2] ^= (byte) (1 + i / pool.size());
            Files.write(dir.resolve(String.format("img%07d.jpg", i)), b);
            bytes += b.length;
        }
        return bytes;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
