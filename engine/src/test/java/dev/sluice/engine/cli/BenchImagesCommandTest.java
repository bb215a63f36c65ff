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
        assertTrue(r.err().contains("--rounds must be at least 1"), r.err());
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
}
