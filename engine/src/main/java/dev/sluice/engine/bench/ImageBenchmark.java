package dev.sluice.engine.bench;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageAugment;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.image.Resampler;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.transform.SampleDraws;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The image path measured against its ceilings in one run, with the same threads: decoders alone over
 * the same JPEG bytes in memory; the chosen decoder with the loader's augmentation, still in memory
 * (decode+augment); and the whole loader path (shards from a file store, decode, augment, batch).
 */
public final class ImageBenchmark {

    private ImageBenchmark() {
    }

    /** How generated JPEGs look, and so how long they take to decode. */
    public enum Style {
        /** 300-500 px a side, gradients and shapes, noise on one pixel in 8, quality 0.75: about 14 KiB. */
        SMOOTH(300, 300, 0.75f, 0),
        /** As {@link #SMOOTH} with noise on every pixel: about 25 KiB. */
        NOISY(300, 300, 0.75f, 0x1F1F1F),
        /**
         * Sized like ImageNet's training photographs (400-600 x 300-500 px, mean about 500 x 400) and
         * about as large on disk (noise of 6 bits on every pixel, quality 0.9: roughly 100 KiB, where
         * ImageNet's mean is about 110 KiB), so about as slow to decode as they are.
         */
        IMAGENET(400, 300, 0.9f, 0x3F3F3F);

        final int minWidth;
        final int minHeight;
        final float quality;
        /** Bits of noise XORed into every pixel's channels; 0: noise on one pixel in 8 instead. */
        final int noiseMask;

        Style(int minWidth, int minHeight, float quality, int noiseMask) {
            this.minWidth = minWidth;
            this.minHeight = minHeight;
            this.quality = quality;
            this.noiseMask = noiseMask;
        }
    }

    /**
     * Writes {@code samples} JPEGs of varying sizes (about 300 to 500 pixels a side: gradients,
     * shapes and noise on one pixel in 8) into {@code dir/class_k/}, unless it already holds images.
     */
    public static List<Path> generateJpegs(Path dir, int samples, int classes) throws IOException {
        return generateJpegs(dir, samples, classes, Style.SMOOTH);
    }

    /** A folder that cannot be used as the benchmark's JPEGs, with what to do instead. */
    public static final class UnusableFolderException extends IOException {
        UnusableFolderException(String message) {
            super(message);
        }
    }

    /**
     * As above, in the given {@link Style}. The style is recorded in {@code dir/.style}: "STYLE
     * incomplete" while the JPEGs are written, "STYLE" once they all are; so a folder is never
     * measured as another style than its JPEGs were made in, and an interrupted run is completed by
     * the next one in the same style.
     *
     * @throws UnusableFolderException if {@code dir} holds JPEGs of another style, or JPEGs without a
     *     record of their style (not made by this method, or by a version that wrote none)
     */
    public static List<Path> generateJpegs(Path dir, int samples, int classes, Style style)
            throws IOException {
        String name = style.name().toLowerCase(java.util.Locale.ROOT);
        Path styleFile = dir.resolve(".style");
        List<Path> existing = listJpegs(dir);
        if (Files.exists(styleFile)) {
            String[] was = Files.readString(styleFile).trim().split(" ");
            if (!was[0].equals(name)) {
                throw new UnusableFolderException(dir + " holds JPEGs generated in the " + was[0] + " style, not "
                        + name + "; use another --workdir (one per style)");
            }
            if (was.length == 1 && existing.size() >= samples) {
                return existing.subList(0, samples);
            }
        } else if (!existing.isEmpty()) {
            throw new UnusableFolderException(dir + " holds JPEGs without a record of the style they were generated"
                    + " in; use another --workdir, or --images " + dir + " to measure them as they are");
        }
        Files.createDirectories(dir);
        writeStyle(styleFile, name + " incomplete");
        Random r = new Random(7);
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpg").next();
        try {
            javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(style.quality);
            for (int i = 0; i < samples; i++) {
                int w = style.minWidth + r.nextInt(200);
                int h = style.minHeight + r.nextInt(200);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
                Graphics2D g = img.createGraphics();
                g.setPaint(new GradientPaint(0, 0, new Color(r.nextInt()), w, h, new Color(r.nextInt())));
                g.fillRect(0, 0, w, h);
                for (int s = 0; s < 12; s++) {
                    g.setColor(new Color(r.nextInt()));
                    g.fillOval(r.nextInt(w), r.nextInt(h), 20 + r.nextInt(w / 2), 20 + r.nextInt(h / 2));
                }
                g.dispose();
                if (style.noiseMask != 0) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            img.setRGB(x, y, img.getRGB(x, y) ^ (r.nextInt() & style.noiseMask));
                        }
                    }
                } else {
                    for (int n = 0; n < w * h / 8; n++) {
                        int x = r.nextInt(w);
                        int y = r.nextInt(h);
                        img.setRGB(x, y, img.getRGB(x, y) ^ (r.nextInt(32) * 0x010101));
                    }
                }
                Path d = dir.resolve("class_" + (i % classes));
                Files.createDirectories(d);
                Path file = d.resolve(String.format("img_%06d.jpg", i));
                Path part = d.resolve(file.getFileName() + ".part");
                try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(part.toFile())) {
                    writer.setOutput(out);
                    writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
                }
                Files.move(part, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            writer.dispose();
        }
        writeStyle(styleFile, name);
        return listJpegs(dir).subList(0, samples);
    }

    /** Replaces the style record whole (a crash leaves the old record or the new one, never half). */
    private static void writeStyle(Path styleFile, String text) throws IOException {
        Path tmp = styleFile.resolveSibling(".style.part");
        Files.writeString(tmp, text + "\n");
        Files.move(tmp, styleFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The JPEG files ({@code .jpg}, {@code .jpeg}, any case) below {@code dir}, sorted by path; none if it is absent. */
    public static List<Path> listJpegs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            return s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                return (n.endsWith(".jpg") || n.endsWith(".jpeg")) && Files.isRegularFile(p);
            }).sorted().toList();
        }
    }

    /** Stores the files as a dataset of {@code image} (bytes, jpeg) and {@code label} (class directory). */
    public static Dataset ingest(List<Path> files, Path datasetDir, Path staging) throws IOException {
        FileStore store = new FileStore(datasetDir);
        if (Files.exists(datasetDir.resolve("manifest.json"))) {
            return Dataset.open(store);
        }
        List<String> classes = files.stream().map(p -> p.getParent().getFileName().toString()).distinct().sorted()
                .toList();
        Schema schema = Schema.of(FieldSpec.bytes("image", "jpeg"), FieldSpec.of("label", DType.INT32).withClasses(classes));
        try (DatasetWriter w = new DatasetWriter(store, "bench-images", schema, 16L << 20, staging, Map.of(), null)) {
            for (Path p : files) {
                int label = classes.indexOf(p.getParent().getFileName().toString());
                w.add("train", ByteBuffer.wrap(Files.readAllBytes(p)),
                        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, label));
            }
            w.commit();
        }
        return Dataset.open(store);
    }

    /**
     * A measured rate: images per second of wall time, and per second of this process's CPU time (all
     * its threads). On a machine shared with other work the second is the steadier: the wall time
     * then depends on what else runs, the CPU time a phase spends on its images much less.
     */
    public record Rate(double perSecond, double perCpuSecond) {}

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static Rate rate(long images, long wallStart, long cpuStart) {
        long cpu = cpuNanos() - cpuStart;
        return new Rate(images / ((System.nanoTime() - wallStart) / 1e9), cpuStart < 0 ? Double.NaN : images / (cpu / 1e9));
    }

    /**
     * Images/s of {@code decoder} alone over the in-memory bytes, on {@code threads} threads. The
     * bytes lie back to back in one direct buffer, as in the loader's staging buffers: OpenCV reads
     * them in place, so no copy is charged to its ceiling (ImageIO and nvJPEG copy them first, here
     * and in the loader alike). The bytes must total less than 2 GiB.
     */
    public static Rate decodeOnly(List<byte[]> jpegs, String decoder, int threads) throws Exception {
        return decode(jpegs, decoder, threads, null, 0, 0, 0);
    }

    /**
     * As {@link #decodeOnly}, each image then cropped, resized and flipped as {@code stage} says (its
     * decoder, on its threads), with the draws of (seed, epoch, its index): the loader's draws for its
     * dataset of these images in this order. Each thread writes into a buffer of {@code batch} images
     * of its own, slot after slot, as the decode stage writes a batch; those buffers and the threads'
     * resamplers are made before the clock starts, as a loader makes them once. The work of the loader
     * path less the loader: fetching, checking, shuffling and batching.
     */
    public static Rate decodeAndAugment(List<byte[]> jpegs, ImageStage stage, long seed, long epoch, int batch)
            throws Exception {
        return decode(jpegs, ImageDecoders.resolve(stage.decoder()), stage.threadCount(), stage, seed, epoch, batch);
    }

    private static Rate decode(List<byte[]> jpegs, String decoder, int threads, ImageStage stage, long seed,
                               long epoch, int batch) throws Exception {
        DirectAllocator memory = new DirectAllocator();
        int[] offset = new int[jpegs.size() + 1];
        for (int k = 0; k < jpegs.size(); k++) {
            offset[k + 1] = Math.addExact(offset[k], jpegs.get(k).length);
        }
        ByteBuffer all = memory.allocate(offset[jpegs.size()]);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        Resampler[] resamplers = new Resampler[stage == null ? 0 : threads];
        ByteBuffer[] outs = new ByteBuffer[resamplers.length];
        try {
            for (int k = 0; k < jpegs.size(); k++) {
                all.put(offset[k], jpegs.get(k));
            }
            for (int t = 0; t < resamplers.length; t++) {
                resamplers[t] = Resampler.forDecoder(decoder, stage.height(), stage.width());
                outs[t] = memory.allocate(Math.multiplyExact(batch, stage.sampleBytes()));
            }
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> fs = new ArrayList<>();
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                fs.add(pool.submit(() -> {
                    try (ImageDecoder d = ImageDecoders.factory(decoder).get()) {
                        if (stage == null) {
                            for (int k; (k = next.getAndIncrement()) < jpegs.size(); ) {
                                d.decode(all, offset[k], offset[k + 1] - offset[k]);
                            }
                        } else {
                            SampleDraws draws = new SampleDraws(0, 0, 0);
                            for (int k, slot = 0; (k = next.getAndIncrement()) < jpegs.size(); slot = (slot + 1) % batch) {
                                augmentOne(d, all, offset[k], offset[k + 1] - offset[k], k, stage, seed, epoch, draws,
                                        resamplers[thread], outs[thread], slot * stage.sampleBytes());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return rate(jpegs.size(), t0, c0);
        } finally {
            pool.shutdownNow();
            // the threads may still be reading and writing these until they are gone
            if (pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                free(memory, all, outs, resamplers);
            }
        }
    }

    /** Frees every buffer and closes every resampler, each even when another fails; throws the first failure. */
    private static void free(DirectAllocator memory, ByteBuffer all, ByteBuffer[] outs, Resampler[] resamplers)
            throws Exception {
        Exception failure = null;
        List<AutoCloseable> frees = new ArrayList<>();
        frees.add(() -> memory.free(all));
        for (ByteBuffer out : outs) {
            if (out != null) {
                frees.add(() -> memory.free(out));
            }
        }
        for (Resampler r : resamplers) {
            if (r instanceof AutoCloseable c) {
                frees.add(c);
            }
        }
        for (AutoCloseable f : frees) {
            try {
                f.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * What {@link #decodeAndAugment} does to image {@code k}, its {@code length} bytes at {@code offset}
     * of {@code all}: decoded, then cropped, resized and flipped into {@code out} at {@code outOffset}
     * with the draws of ({@code seed}, {@code epoch}, {@code k}).
     */
    static void augmentOne(ImageDecoder d, ByteBuffer all, int offset, int length, int k, ImageStage stage, long seed,
                           long epoch, SampleDraws draws, Resampler resampler, ByteBuffer out, int outOffset)
            throws Exception {
        DecodedImage img = d.decode(all, offset, length);
        ImageAugment.apply(img, stage, seed, epoch, k, draws, resampler, out, outOffset);
    }

    /**
     * The loader path as a training run drives it: one loader for every epoch, each epoch opened with
     * the next one named, so the next epoch's first shards are fetched while this one ends. (A new
     * loader per epoch would charge every short benchmark epoch a cold start that training pays once.)
     */
    public static final class LoaderPath implements AutoCloseable {

        /** The loader's seed, which {@link #decodeAndAugment} is given to draw as the loader does. */
        public static final long SEED = 1;

        private final Loader loader;

        /** A loader with {@code stage}, a training decode stage of field {@code image}, and seed {@link #SEED}. */
        public LoaderPath(Dataset ds, ImageStage stage, int batch) {
            LoaderConfig cfg = config(stage, batch);
            this.loader = new Loader(ds, cfg, new DirectAllocator());
        }

        /** The loader's configuration: split {@code train}, shuffled, seed {@link #SEED}, every sample. */
        static LoaderConfig config(ImageStage stage, int batch) {
            return LoaderConfig.training("train", batch, SEED).withImages(stage).withDropLast(false);
        }

        /** Images/s of epoch {@code epoch}; the first shards of {@code epoch + 1} are fetched as it ends. */
        public Rate epoch(long epoch) throws IOException {
            long n = 0;
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            try (EpochStream s = loader.open(LoaderState.start(SEED, epoch), LoaderState.start(SEED, epoch + 1))) {
                for (HostBatch b; (b = s.next()) != null; ) {
                    n += b.size();
                    b.close();
                }
            }
            return rate(n, t0, c0);
        }

        @Override
        public void close() {
            loader.close();
        }
    }
}
