package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench images} end to end on a few generated JPEGs, and its style option. */
class BenchImagesCommandTest {

    @TempDir
    Path tmp;

    @Test
    void imagenetStyleWritesPhotographSizedJpegsAndMeasuresThePath() throws Exception {
        CliRunner.Result r = CliRunner.run("bench", "images", "--style", "imagenet", "--workdir", tmp.toString(),
                "--samples", "12", "--batch-size", "4", "--threads", "1", "--rounds", "1");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("path / decode ceiling:"), r.out());
        assertTrue(r.out().contains("decode+augment / decode:"), r.out());
        assertTrue(r.out().contains("path / decode+augment:"), r.out());
        List<Path> files;
        try (Stream<Path> s = Files.walk(tmp.resolve("jpegs"))) {
            files = s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(".style")).toList();
        }
        assertEquals("imagenet", Files.readString(tmp.resolve("jpegs/.style")).trim(), "the style is recorded");
        assertEquals(12, files.size(), "one JPEG per sample, no partial files left: " + files);
        long bytes = 0;
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile()); // the JDK's reader, not the decoder under test
            assertTrue(img.getWidth() >= 400 && img.getWidth() < 600, f + ": width " + img.getWidth());
            assertTrue(img.getHeight() >= 300 && img.getHeight() < 500, f + ": height " + img.getHeight());
            bytes += Files.size(f);
        }
        // ImageNet's training photographs average about 110 KiB; the smooth style about 14 KiB
        double meanKiB = bytes / 1024.0 / files.size();
        assertTrue(meanKiB > 60 && meanKiB < 160, "mean " + meanKiB + " KiB");
    }

    @Test
    void withS3TheLoaderPathReadsItsShardsFromALocalS3Server() {
        CliRunner.Result r = CliRunner.run("bench", "images", "--workdir", tmp.toString(), "--samples", "12",
                "--batch-size", "4", "--threads", "1", "--rounds", "1", "--warmup", "1", "--s3");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("(S3 at http://127.0.0.1:"), r.out());
        assertTrue(r.out().contains("path / decode+augment:"), r.out());
    }

    @Test
    void anUnknownStyleIsAUsageError() {
        CliRunner.Result r = CliRunner.run("bench", "images", "--style", "glossy", "--workdir", tmp.toString(),
                "--samples", "4");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--style must be smooth, noisy or imagenet"), r.err());
    }

    @Test
    void noMeasuredRoundIsAUsageError() {
        CliRunner.Result r = CliRunner.run("bench", "images", "--rounds", "0", "--workdir", tmp.toString(),
                "--samples", "4");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--rounds and --samples must be at least 1"), r.err());
        CliRunner.Result none = CliRunner.run("bench", "images", "--samples", "0", "--workdir", tmp.toString());
        assertEquals(2, none.code(), none.all());
    }

    @Test
    void aWorkdirGeneratedInOneStyleIsNotMeasuredAsAnother() throws Exception {
        CliRunner.Result first = CliRunner.run("bench", "images", "--style", "smooth", "--workdir", tmp.toString(),
                "--samples", "4", "--batch-size", "2", "--threads", "1", "--rounds", "1", "--warmup", "0");
        assertEquals(0, first.code(), first.all());
        CliRunner.Result other = CliRunner.run("bench", "images", "--style", "imagenet", "--workdir", tmp.toString(),
                "--samples", "4");
        assertEquals(2, other.code(), other.all());
        assertTrue(other.err().contains("smooth style, not imagenet"), other.err());
    }

    @Test
    void aFolderOfJpegsWithoutAStyleRecordIsRefusedAsAWorkdirAndMeasuredAsItIsWithImages() throws Exception {
        Path own = tmp.resolve("own");
        CliRunner.Result gen = CliRunner.run("bench", "images", "--workdir", tmp.resolve("w1").toString(),
                "--samples", "3", "--batch-size", "2", "--threads", "1", "--rounds", "1", "--warmup", "0");
        assertEquals(0, gen.code(), gen.all());
        // a copy of those JPEGs without the record, as someone's own folder would be
        try (Stream<Path> s = Files.walk(tmp.resolve("w1/jpegs"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".jpg")).toList()) {
                Path to = own.resolve("jpegs").resolve(tmp.resolve("w1/jpegs").relativize(p));
                Files.createDirectories(to.getParent());
                Files.copy(p, to);
            }
        }
        CliRunner.Result asWorkdir = CliRunner.run("bench", "images", "--workdir", own.toString(), "--samples", "3");
        assertEquals(2, asWorkdir.code(), asWorkdir.all());
        assertTrue(asWorkdir.err().contains("without a record of the style"), asWorkdir.err());

        CliRunner.Result asImages = CliRunner.run("bench", "images", "--images", own.resolve("jpegs").toString(),
                "--workdir", tmp.resolve("w2").toString(), "--samples", "5", "--batch-size", "2", "--threads", "1",
                "--rounds", "1", "--warmup", "0");
        assertEquals(0, asImages.code(), asImages.all());
        assertTrue(asImages.out().contains("3 JPEGs"), asImages.out());
        try (Stream<Path> s = Files.walk(own)) {
            assertEquals(3, s.filter(Files::isRegularFile).count(), "nothing written into the user's folder");
        }
    }
}
