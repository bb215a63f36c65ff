package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.image.OpenCvDecoder;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.bench.ImageBenchmark;
import dev.sluice.engine.bench.Medians;
import dev.sluice.engine.nvjpeg.Nvjpeg;
import dev.sluice.s3local.LocalS3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train.jar bench images}: decoders side by side, and the loader's image path against its decode ceiling. */
@Command(name = "images", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"JPEGs through the loader (decode, random-resized-crop, flip, batch) vs. the decoder alone: goal >= 0.9.",
            "",
            "Decodes the same in-memory JPEGs with each decoder (ImageIO, OpenCV/libjpeg-turbo, and nvJPEG where"
                + " libnvjpeg and a GPU are present) on the same threads, then streams them through the loader (shards"
                + " from a file store, decode, random-resized-crop, flip, batch) and reports images/s against the chosen"
                + " decoder alone. The JPEGs lie in one direct buffer (OpenCV reads them in place, ImageIO copies them);"
                + " the loader path is one loader for every epoch, each epoch fetching the next one's first shards as a"
                + " training run does, after --warmup epochs. Each round also decodes and augments the same JPEGs in"
                + " memory, with the loader's crops and flips but no loader, which splits the gap into what the"
                + " augmentation costs and what the loader costs. With --s3 the loader reads its shards over S3 from a"
                + " local server instead.",
            "Without --images, generates JPEGs (see --style) in --workdir/jpegs (class per directory), which"
                + " scripts/bench-images-torch.py reads for the PyTorch comparison. See docs/BENCHMARKS.md."})
public final class BenchImagesCommand implements Callable<Integer> {

    /** The ceiling's JPEGs lie in one direct buffer. */
    private static final long MAX_CEILING_BYTES = 1L << 30;

    @Option(names = "--images", paramLabel = "DIR", description = "A folder of JPEGs, one subfolder per class.")
    Path images;

    @Option(names = "--workdir", paramLabel = "DIR",
            description = "Where generated JPEGs and the dataset go (default: bench/images-STYLE in Sluice's home,"
                    + " $SLUICE_HOME or ~/.cache/sluice, one per --style).")
    Path workdir;

    @Option(names = "--style", defaultValue = "smooth", paramLabel = "STYLE",
            description = "What generated JPEGs look like: smooth (300-500 px, about 14 KiB), noisy (same sizes, noise on"
                    + " every pixel, about 25 KiB) or imagenet (sized like ImageNet's photographs, 400-600 x 300-500 px,"
                    + " about 100 KiB, so about as slow to decode). Give each style its own --workdir (default: ${DEFAULT-VALUE}).")
    String style;

    @Option(names = "--photo-detail", hidden = true, description = "Same as --style noisy (kept for old commands).")
    boolean photoDetail;

    @Option(names = "--samples", defaultValue = "1024", description = "Images (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--image-size", defaultValue = "224", description = "Output side (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", defaultValue = "0", description = "Decode threads; 0: one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--decoder", defaultValue = "auto", description = "Decoder of the loader path: auto, opencv, imageio or nvjpeg (default: auto).")
    String decoder;

    @Option(names = "--warmup", defaultValue = "2", description = "Loader epochs before the measured rounds, so the JIT"
            + " has compiled the path (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds after a warm-up (default: 3).")
    int rounds;

    @Option(names = "--s3", description = "Read the loader path's shards over S3 from a local S3-compatible server"
            + " (127.0.0.1, started and stopped by this command, as bench store does) instead of the file store, so"
            + " the path includes the S3 client; the ceilings stay in memory.")
    boolean s3;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || warmup < 0 || samples < 1) {
            throw new UserException("--rounds and --samples must be at least 1 and --warmup at least 0, got " + rounds
                    + ", " + samples + " and " + warmup);
        }
        int t = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        ImageBenchmark.Style look;
        try {
            look = photoDetail ? ImageBenchmark.Style.NOISY : ImageBenchmark.Style.valueOf(style.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("--style must be smooth, noisy or imagenet, got '" + style + "'");
        }
        Path workdir = this.workdir != null ? this.workdir
                : DefaultDataset.home().resolve("bench").resolve("images-" + look.name().toLowerCase(Locale.ROOT));
        List<Path> files;
        if (images != null) {
            // the user's own JPEGs are measured as they are; nothing is written into their folder
            files = ImageBenchmark.listJpegs(images);
            if (files.isEmpty()) {
                throw new UserException(images + " holds no .jpg or .jpeg files (expected DIR/<class>/<files>)");
            }
            if (files.size() < samples) {
                System.out.printf(Locale.ROOT, "%s holds %d JPEGs, fewer than --samples %d: measuring all of them%n",
                        images, files.size(), samples);
            } else {
                files = files.subList(0, samples);
            }
        } else {
            try {
                files = ImageBenchmark.generateJpegs(workdir.resolve("jpegs"), samples, 10, look);
            } catch (ImageBenchmark.UnusableFolderException e) {
                throw new UserException(e.getMessage());
            }
        }
        long onDisk = 0;
        for (Path p : files) {
            onDisk += Files.size(p);
        }
        if (onDisk > MAX_CEILING_BYTES) {
            throw new UserException(String.format(Locale.ROOT, "the decode ceiling holds all %d JPEGs in memory at once:"
                    + " %.1f GiB, more than %d GiB; use fewer --samples", files.size(), onDisk / (double) (1 << 30),
                    MAX_CEILING_BYTES >> 30));
        }
        List<byte[]> bytes = new ArrayList<>();
        java.util.zip.CRC32C content = new java.util.zip.CRC32C();
        for (Path p : files) {
            byte[] b = Files.readAllBytes(p);
            bytes.add(b);
            content.update(p.toAbsolutePath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            content.update(b);
        }
        // named by the files' names and bytes, so other JPEGs, as many, are not measured as these
        Path datasetDir = workdir.resolve(String.format(Locale.ROOT, "dataset-%d-%08x", files.size(), content.getValue()));
        Dataset ds = ImageBenchmark.ingest(files, datasetDir, Files.createDirectories(workdir.resolve("staging")));
        String chosen = ImageDecoders.resolve(decoder);
        List<String> candidates = new ArrayList<>(List.of("imageio"));
        if (OpenCvDecoder.available()) {
            candidates.add("opencv");
        }
        if (Nvjpeg.unavailableReason() == null) {
            candidates.add("nvjpeg"); // the GPU decoder, side by side, where libnvjpeg and a GPU are present
        }
        if (!candidates.contains(chosen)) {
            throw new UserException("the loader's decoder " + chosen + " has no decode-only ceiling here (measured: "
                    + String.join(", ", candidates) + "); choose one of those with --decoder");
        }
        System.out.printf(Locale.ROOT, "%d JPEGs, %.1f KiB mean, %d threads, output %dx%d, loader decoder %s%n",
                files.size(), onDisk / 1024.0 / files.size(), t, size, size, chosen);
        // warm-up: JIT and native loading
        for (String c : candidates) {
            ImageBenchmark.decodeOnly(bytes.subList(0, Math.min(128, bytes.size())), c, t);
        }
        ImageStage stage = ImageStage.training("image", size).withDecoder(chosen, t);
        if (!s3) {
            measure(candidates, chosen, bytes, stage, ds, "file store");
            return 0;
        }
        try (LocalS3Server server = LocalS3Server.start(datasetDir, BenchStoreCommand.LOCAL_BUCKET);
             ObjectStore store = Stores.open("s3://" + BenchStoreCommand.LOCAL_BUCKET, StoreOptions.defaults()
                     // the local server checks no signature: no credential lookup, nothing to sign with
                     .withS3Endpoint(server.endpoint()).withAnonymous(true).withRegion("us-east-1"))) {
            measure(candidates, chosen, bytes, stage, Dataset.open(store), "S3 at " + server.endpoint());
        }
        return 0;
    }

    private void measure(List<String> candidates, String chosen, List<byte[]> bytes, ImageStage stage, Dataset ds,
                         String where) throws Exception {
        try (ImageBenchmark.LoaderPath loaderPath = new ImageBenchmark.LoaderPath(ds, stage, batch)) {
            for (int w = 0; w < warmup; w++) {
                loaderPath.epoch(w);
            }
            measure(candidates, chosen, bytes, stage, loaderPath, where);
        }
    }

    private void measure(List<String> candidates, String chosen, List<byte[]> bytes, ImageStage stage,
                         ImageBenchmark.LoaderPath loaderPath, String where) throws Exception {
        int chosenAt = candidates.indexOf(chosen);
        int t = stage.threadCount();
        double[][] dec = new double[candidates.size()][rounds];
        double[] augmented = new double[rounds];
        double[] path = new double[rounds];
        double[] ratio = new double[rounds];
        double[] cpuRatio = new double[rounds];
        double[] augmentRatio = new double[rounds];
        double[] loaderRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ImageBenchmark.Rate ceiling = null;
            for (int c = 0; c < candidates.size(); c++) {
                ImageBenchmark.Rate d = ImageBenchmark.decodeOnly(bytes, candidates.get(c), t);
                dec[c][r] = d.perSecond();
                if (c == chosenAt) {
                    ceiling = d;
                }
            }
            long epoch = warmup + r;
            // the same images, crops and flips as the loader's epoch below, without the loader
            ImageBenchmark.Rate a = ImageBenchmark.decodeAndAugment(bytes, stage, ImageBenchmark.LoaderPath.SEED, epoch,
                    batch);
            augmented[r] = a.perSecond();
            ImageBenchmark.Rate p = loaderPath.epoch(epoch);
            path[r] = p.perSecond();
            ratio[r] = p.perSecond() / ceiling.perSecond();
            cpuRatio[r] = p.perCpuSecond() / ceiling.perCpuSecond();
            augmentRatio[r] = a.perSecond() / ceiling.perSecond();
            loaderRatio[r] = p.perSecond() / a.perSecond();
            System.out.printf(Locale.ROOT, "round %d: %s decode only %.1f images/s, decode+augment %.1f, loader path %.1f;"
                    + " path/decode %.3f (per CPU-second %.3f), path/decode+augment %.3f%n", r + 1, chosen,
                    ceiling.perSecond(), a.perSecond(), p.perSecond(), ratio[r], cpuRatio[r], loaderRatio[r]);
        }
        for (int c = 0; c < candidates.size(); c++) {
            System.out.printf(Locale.ROOT, "decode only     %-8s %8.1f images/s (median of %d)%n", candidates.get(c),
                    Medians.of(dec[c]), rounds);
        }
        System.out.printf(Locale.ROOT, "decode+augment  %-8s %8.1f images/s (the loader's rrc+flip, in memory, no loader)%n",
                chosen, Medians.of(augmented));
        System.out.printf(Locale.ROOT, "loader path     %-8s %8.1f images/s (%s -> decode -> rrc+flip -> batch)%n",
                chosen, Medians.of(path), where);
        System.out.printf(Locale.ROOT, "path / decode ceiling: %.3f (median of per-round ratios, range %.3f-%.3f;"
                + " goal >= 0.9)%n", Medians.of(ratio), min(ratio), max(ratio));
        System.out.printf(Locale.ROOT, "path / decode ceiling per CPU-second: %.3f (range %.3f-%.3f; steadier on a"
                + " loaded machine)%n", Medians.of(cpuRatio), min(cpuRatio), max(cpuRatio));
        System.out.printf(Locale.ROOT, "decode+augment / decode: %.3f (range %.3f-%.3f): what the augmentation costs%n",
                Medians.of(augmentRatio), min(augmentRatio), max(augmentRatio));
        System.out.printf(Locale.ROOT, "path / decode+augment: %.3f (range %.3f-%.3f): what the loader itself costs%n",
                Medians.of(loaderRatio), min(loaderRatio), max(loaderRatio));
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
