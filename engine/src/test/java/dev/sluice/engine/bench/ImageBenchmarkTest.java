package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.image.Resampler;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.transform.SampleDraws;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code bench images} compares: its decode+augment ceiling does the loader path's work. */
class ImageBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void theDecodeAndAugmentCeilingDrawsTheLoaderPathsCropsAndFlipsForEachFile() throws Exception {
        List<Path> files = ImageBenchmark.generateJpegs(tmp.resolve("jpegs"), 10, 3);
        Dataset ds = ImageBenchmark.ingest(files, tmp.resolve("ds"), Files.createDirectories(tmp.resolve("st")));
        String decoder = ImageDecoders.resolve("auto");
        ImageStage stage = ImageStage.training("image", 32).withDecoder(decoder, 1);
        long epoch = 3;
        Map<Long, byte[]> loaded = new HashMap<>();
        try (Loader l = new Loader(ds, ImageBenchmark.LoaderPath.config(stage, 4), new DirectAllocator());
             EpochStream s = l.open(LoaderState.start(ImageBenchmark.LoaderPath.SEED, epoch))) {
            for (HostBatch next; (next = s.next()) != null; ) {
                try (HostBatch b = next) {
                    for (int k = 0; k < b.size(); k++) {
                        byte[] img = new byte[stage.sampleBytes()];
                        b.buffer(0).get(k * img.length, img);
                        loaded.put(b.sampleId(k), img);
                    }
                }
            }
        }
        assertEquals(files.size(), loaded.size(), "every file once");
        // what the ceiling does to file k, the k-th of the JPEGs it is given
        List<byte[]> expected = new ArrayList<>();
        Resampler resampler = Resampler.forDecoder(decoder, 32, 32);
        ByteBuffer out = ByteBuffer.allocateDirect(stage.sampleBytes());
        try (ImageDecoder d = ImageDecoders.factory(decoder).get()) {
            for (int k = 0; k < files.size(); k++) {
                byte[] jpeg = Files.readAllBytes(files.get(k));
                ByteBuffer in = ByteBuffer.allocateDirect(jpeg.length).put(0, jpeg);
                ImageBenchmark.augmentOne(d, in, 0, jpeg.length, k, stage, ImageBenchmark.LoaderPath.SEED, epoch,
                        new SampleDraws(0, 0, 0), resampler, out, 0);
                byte[] px = new byte[stage.sampleBytes()];
                out.get(0, px);
                expected.add(px);
            }
        } finally {
            if (resampler instanceof AutoCloseable c) {
                c.close();
            }
        }
        for (int k = 0; k < files.size(); k++) {
            assertArrayEquals(expected.get(k), loaded.get((long) k), "file " + k + " (" + files.get(k) + ")");
        }
        // and the ceiling's rate is that of every image
        ImageBenchmark.Rate r = ImageBenchmark.decodeAndAugment(files.stream().map(ImageBenchmarkTest::read).toList(),
                stage.withDecoder(decoder, 2), ImageBenchmark.LoaderPath.SEED, epoch, 4);
        assertTrue(r.perSecond() > 0 && Double.isFinite(r.perSecond()), r.toString());
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
