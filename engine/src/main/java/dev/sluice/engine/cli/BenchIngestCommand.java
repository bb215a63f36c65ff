package dev.sluice.engine.cli;

import dev.sluice.data.ingest.ImageFolderImporter;
import dev.sluice.data.ingest.Ingest;
import dev.sluice.data.store.FileStore;
import dev.sluice.engine.datasets.DefaultDataset;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train.jar bench ingest}: files/s of an image-folder ingest against the raw limit on the same
 * machine, the same files read and the same bytes written with no format work: a Java copy (the
 * same threads reading in parallel, one file appended to) and GNU {@code tar -cf}. Passes of the
 * three modes alternate, in rotating order, after a warm-up read; the ratio is of medians.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Image-folder ingest (ingest --from imagefolder:) against the raw limit, side by side in one run.",
            "The raw limit is the same files read in parallel in Java into one appended file, and GNU tar -cf.",
            "Without --dir, generates --files JPEGs (--image-side pixels, in 100 classes) in --workdir once and",
            "reuses them. Prints files/s and MB/s per mode (median and spread) and the ratio."})
public final class BenchIngestCommand implements Callable<Integer> {

    @Option(names = "--dir", paramLabel = "DIR", description = "An image folder to ingest (default: generate one).")
    Path dir;

    @Option(names = "--workdir", paramLabel = "DIR",
            description = "Where the generated folder is kept and the outputs are written"
                    + " (default: $SLUICE_HOME/bench, SLUICE_HOME defaulting to ~/.cache/sluice).")
    Path workdir;

    @Option(names = "--files", defaultValue = "20000", description = "Generated files (default: ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--image-side", defaultValue = "160",
            description = "Generated images are N x N JPEGs of noise and gradients (default: ${DEFAULT-VALUE}).")
    int side;

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--threads", defaultValue = "0", description = "Reader threads (default: one per core).")
    int threads;

    @Option(names = "--shard-size", defaultValue = "64MB", converter = ByteSizeConverter.class,
            description = "Shard size of the ingest (default: ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    record Pass(String mode, int round, long files, long bytes, double seconds) {
        double filesPerSecond() {
            return files / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (rounds < 1 || files < 1 || side < 8) {
            throw new UserException("--rounds and --files must be positive and --image-side at least 8");
        }
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Path work = workdir != null ? workdir : DefaultDataset.home().resolve("bench");
        Path src = dir != null ? dir : generate(work, out);
        List<Path> listing = list(src);
        long bytes = 0;
        for (Path p : listing) {
            bytes += Files.size(p);
        }
        if (!json) {
            out.printf(Locale.ROOT, "%s: %,d files, %.1f MB; %d thread(s); %d round(s)%n", src, listing.size(),
                    bytes / 1e6, t, rounds);
        }
        Path outDir = Files.createDirectories(work.resolve("bench-ingest-out"));
        // warm-up, untimed: the page cache holds the files for every mode, and the JIT has compiled both
        rawCopy(src, outDir.resolve("warmup.bin"), t);
        ingest(src, outDir.resolve("warmup"), work, t);
        IngestTarget.deleteTree(outDir.resolve("warmup"));
        boolean tar = Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar"));
        List<String> modes = new ArrayList<>(List.of("raw-copy", "ingest"));
        if (tar) {
            modes.add(1, "tar");
        }
        List<Pass> passes = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < modes.size(); k++) {
                String mode = modes.get((k + r) % modes.size());
                Path target = outDir.resolve(mode + "-" + r);
                long t0 = System.nanoTime();
                long n = switch (mode) {
                    case "raw-copy" -> rawCopy(src, target, t);
                    case "tar" -> tar(src, target, listing.size());
                    default -> ingest(src, target, work, t);
                };
                Pass p = new Pass(mode, r, n, bytes, (System.nanoTime() - t0) / 1e9);
                passes.add(p);
                IngestTarget.deleteTree(target);
                if (json) {
                    out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"round\":%d,\"files\":%d,\"bytes\":%d,\"seconds\":%.4f}%n",
                            mode, r, n, bytes, p.seconds());
                }
            }
        }
        IngestTarget.deleteTree(outDir);
        Map<String, double[]> stats = new LinkedHashMap<>();
        for (String m : modes) {
            double[] fps = passes.stream().filter(p -> p.mode().equals(m)).mapToDouble(Pass::filesPerSecond).sorted().toArray();
            stats.put(m, new double[] {fps[fps.length / 2], fps[0], fps[fps.length - 1]});
        }
        double raw = Math.max(stats.get("raw-copy")[0], tar ? stats.get("tar")[0] : 0);
        double ratio = stats.get("ingest")[0] / raw;
        if (json) {
            out.printf(Locale.ROOT, "{\"summary\":true,\"ingest_files_per_s\":%.1f,\"raw_files_per_s\":%.1f,\"ratio\":%.3f}%n",
                    stats.get("ingest")[0], raw, ratio);
        } else {
            for (Map.Entry<String, double[]> e : stats.entrySet()) {
                double[] s = e.getValue();
                out.printf(Locale.ROOT, "%-9s %,10.0f files/s  %7.1f MB/s  (spread %,.0f - %,.0f files/s)%n", e.getKey(),
                        s[0], s[0] * bytes / listing.size() / 1e6, s[1], s[2]);
            }
            out.printf(Locale.ROOT, "ratio ingest / raw limit (the faster of raw-copy and tar, medians): %.2f (goal >= 0.8)%n",
                    ratio);
        }
        return 0;
    }

    /** Regular files under the folder in name order (what the ingest reads). */
    private static List<Path> list(Path src) throws IOException {
        try (Stream<Path> s = Files.walk(src)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(Path::toString)).toList();
        }
    }

    /** Lists the folder, reads every file on {@code threads} threads, in order, and appends the bytes to one file, fsynced. */
    static long rawCopy(Path src, Path target, int threads) throws Exception {
        List<Path> listing = list(src);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ArrayDeque<Future<byte[]>> window = new ArrayDeque<>();
            for (Path p : listing) {
                window.add(pool.submit(() -> Files.readAllBytes(p)));
                if (window.size() >= threads * 16) {
                    write(ch, window.poll().get());
                }
            }
            while (!window.isEmpty()) {
                write(ch, window.poll().get());
            }
            ch.force(true);
        } finally {
            pool.shutdownNow();
        }
        return listing.size();
    }

    private static void write(FileChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static long tar(Path src, Path target, int count) throws Exception {
        Process p = new ProcessBuilder("tar", "-cf", target.toString(), "-C", src.toString(), ".")
                .redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("tar -cf failed: " + msg);
        }
        // fsync like the other modes
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return count;
    }

    private long ingest(Path src, Path target, Path work, int t) throws Exception {
        try (ImageFolderImporter imp = new ImageFolderImporter(src, "train");
             FileStore store = new FileStore(target)) {
            Ingest.Result r = new Ingest(imp, store, Ingest.Options.defaults("bench", target.resolve(".sluice-staging"))
                    .withShardBytes(shardSize).withThreads(t)).run();
            return r.manifest().splits().values().stream().mapToLong(s -> s.samples()).sum() + r.skipped();
        }
    }

    private Path generate(Path work, PrintStream out) throws IOException {
        Path target = work.resolve(String.format(Locale.ROOT, "ingest-images-%d-%d", side, files));
        Path done = target.resolve(".complete");
        if (Files.exists(done)) {
            if (!json) {
                out.printf(Locale.ROOT, "reusing %s%n", target);
            }
            return target;
        }
        IngestTarget.deleteTree(target);
        // 64 distinct JPEGs written round-robin: generating is quick, and every file is read from disk
        byte[][] jpegs = new byte[64][];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < jpegs.length; i++) {
            BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int g = (x * 255 / side + rnd.nextInt(64)) & 0xff;
                    img.setRGB(x, y, g << 16 | ((y * 255 / side + i * 4) & 0xff) << 8 | rnd.nextInt(256));
                }
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            ImageIO.write(img, "jpeg", b);
            jpegs[i] = b.toByteArray();
        }
        for (int i = 0; i < files; i++) {
            Path d = target.resolve(String.format(Locale.ROOT, "class%03d", i % 100));
            Files.createDirectories(d);
            Files.write(d.resolve(String.format(Locale.ROOT, "%08d.JPEG", i)), jpegs[i % jpegs.length]);
        }
        Files.createFile(done);
        return target;
    }

}
