package dev.sluice.engine.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.train.MetricsLog;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Charts and the epoch table from a metrics file written by the real {@link MetricsLog}: a run of
 * three epochs that was interrupted in epoch 2 (leaving a torn line) and resumed from the end of
 * epoch 1, so epoch 2's steps and its epoch record appear twice.
 */
class RunReportTest {

    @TempDir
    Path dir;

    private static final int STEPS_PER_EPOCH = 40;

    /** Writes the run; the resumed epoch 2 differs from the first attempt so "last wins" is visible. */
    private void writeResumedRun() throws IOException {
        Path file = dir.resolve(RunReport.METRICS_FILE);
        try (MetricsLog log = new MetricsLog(file)) {
            start(log);
            steps(log, 1, 0, 2.30, 1.40);
            epoch(log, 1, 1.80, 0.41, 1.50, 0.52, 12.34, 12_345.6, 0.015, 0.12, 0.5, 7.0, 0.0);
            steps(log, 2, STEPS_PER_EPOCH, 9.0, 9.0); // the attempt that is about to be lost
            epoch(log, 2, 9.99, 0.01, 9.99, 0.01, 99.0, 1.0, 0.9, 9, 9, 9, 9);
        }
        // the process dies mid-line; the resumed run appends after the torn line
        Files.writeString(file, "{\"event\":\"step\",\"epoch\":3,\"st", StandardOpenOption.APPEND);
        try (MetricsLog log = new MetricsLog(file)) {
            start(log);
            steps(log, 2, STEPS_PER_EPOCH, 1.20, 0.80);
            epoch(log, 2, 0.9876, 0.7654, 0.8765, 0.8123, 11.5, 13_000.4, 0.25, 2.5, 0.4, 6.5, 0.6);
            steps(log, 3, 2 * STEPS_PER_EPOCH, 0.70, 0.40);
            // no evaluation split in this epoch: NaN, written by Gson as a bare NaN literal
            epoch(log, 3, 0.4321, 0.9012, Double.NaN, Double.NaN, 10.0, 14_000.0, 0.002, 0.02, 0.4, 6.4, 0.55);
            log.event("summary").put("test_accuracy", 0.9375).put("eval_split", "test").put("eval_correct", 375)
                    .put("eval_samples", 400).put("epochs", 3).put("steps", 3 * STEPS_PER_EPOCH)
                    .put("seconds", 40.5).write();
        }
    }

    private static void start(MetricsLog log) {
        log.event("start").put("model", "mlp").put("replicas", 2).put("batch_size", 32).write();
    }

    /** A step record every 10 steps and at the epoch's end; loss falls linearly from {@code from} to {@code to}. */
    private static void steps(MetricsLog log, int epoch, long first, double from, double to) {
        for (int i = 10; i <= STEPS_PER_EPOCH; i += 10) {
            double loss = from + (to - from) * i / STEPS_PER_EPOCH;
            log.event("step").put("epoch", epoch).put("step", first + i).put("loss", loss).put("lr", 1e-3)
                    .put("samples_per_s", 10_000.0 + 50 * i).write();
        }
    }

    private static void epoch(MetricsLog log, int epoch, double trainLoss, double trainAcc, double evalLoss,
                              double evalAcc, double seconds, double sps, double waitFraction, double waitMs,
                              double h2dMs, double computeMs, double reduceMs) {
        log.event("epoch").put("epoch", epoch).put("steps", STEPS_PER_EPOCH).put("train_loss", trainLoss)
                .put("train_accuracy", trainAcc).put("eval_loss", evalLoss).put("eval_accuracy", evalAcc)
                .put("seconds", seconds).put("samples_per_s", sps).put("data_wait_fraction", waitFraction)
                .put("data_wait_ms", waitMs).put("h2d_ms", h2dMs).put("compute_ms", computeMs)
                .put("allreduce_ms", reduceMs).write();
        log.event("loader").put("epoch", epoch).put("bytes_read", 1234).put("data_wait_s", 0.1).write();
    }

    @Test
    void resumedRunKeepsTheLastRecordOfEachStepAndEpoch() throws IOException {
        writeResumedRun();
        RunMetrics m = RunMetrics.read(dir.resolve(RunReport.METRICS_FILE));
        assertEquals(1, m.malformedLines());
        assertEquals(List.of(1, 2, 3), m.epochs().stream().map(RunMetrics.Epoch::epoch).toList());
        RunMetrics.Epoch e2 = m.epochs().get(1);
        assertEquals(0.9876, e2.trainLoss(), 1e-12);
        assertEquals(13_000.4, e2.samplesPerSecond(), 1e-9);
        assertEquals(0.6, e2.allReduceMs(), 1e-12);
        assertTrue(Double.isNaN(m.epochs().get(2).evalAccuracy()));
        // 4 logged steps per epoch, epoch 2's logged twice but kept once, in step order
        assertEquals(12, m.steps().size());
        long[] stepNumbers = m.steps().stream().mapToLong(RunMetrics.Step::step).toArray();
        long[] sorted = stepNumbers.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, stepNumbers);
        RunMetrics.Step s80 = m.steps().stream().filter(s -> s.step() == 80).findFirst().orElseThrow();
        assertEquals(0.80, s80.loss(), 1e-12); // the resumed attempt's value, not 9.0
        assertEquals(0.9375, m.summary().testAccuracy(), 1e-12);
        assertEquals(400, m.summary().evalSamples());
    }

    @Test
    void writesReadablePngChartsAndATableWithTheNumbers() throws IOException {
        writeResumedRun();
        RunReport report = RunReport.write(dir);

        List<String> names = report.plots().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of(RunPlots.LOSS, RunPlots.ACCURACY, RunPlots.THROUGHPUT, RunPlots.STEP_TIME), names);
        for (Path p : report.plots()) {
            assertEquals(dir, p.getParent());
            byte[] bytes = Files.readAllBytes(p);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                    Arrays.copyOf(bytes, 8), p + " is not a PNG");
            assertTrue(bytes.length > 10_000, p + " is only " + bytes.length + " bytes");
            BufferedImage img = ImageIO.read(p.toFile());
            assertNotNull(img, p + " cannot be decoded");
            assertEquals(900, img.getWidth(), p.toString());
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "temporary chart files left behind");
        }
        // two panels (per step over per epoch) for loss and throughput, one for the others
        assertEquals(840, ImageIO.read(dir.resolve(RunPlots.LOSS).toFile()).getHeight());
        assertEquals(840, ImageIO.read(dir.resolve(RunPlots.THROUGHPUT).toFile()).getHeight());
        assertEquals(420, ImageIO.read(dir.resolve(RunPlots.ACCURACY).toFile()).getHeight());
        assertEquals(420, ImageIO.read(dir.resolve(RunPlots.STEP_TIME).toFile()).getHeight());
        // the series are drawn: train (blue) and eval (orange) lines in the accuracy chart, all four
        // parts of the stacked bars
        BufferedImage acc = ImageIO.read(dir.resolve(RunPlots.ACCURACY).toFile());
        assertTrue(count(acc, 0x1f77b4) > 200, "train accuracy line");
        assertTrue(count(acc, 0xff7f0e) > 200, "eval accuracy line");
        BufferedImage time = ImageIO.read(dir.resolve(RunPlots.STEP_TIME).toFile());
        for (int rgb : new int[] {0xd62728, 0x9467bd, 0x2ca02c, 0xff7f0e}) {
            assertTrue(count(time, rgb) > 100, "stacked part " + Integer.toHexString(rgb));
        }

        String table = report.table();
        List<String> lines = table.lines().toList();
        assertTrue(lines.get(0).contains("epoch") && lines.get(0).contains("train loss")
                && lines.get(0).contains("eval acc") && lines.get(0).contains("samples/s")
                && lines.get(0).contains("data wait"), table);
        assertRow(lines.get(1), "1", "1.8000", "0.4100", "1.5000", "0.5200", "12.3", "12,346", "1.5%");
        assertRow(lines.get(2), "2", "0.9876", "0.7654", "0.8765", "0.8123", "11.5", "13,000", "25.0%");
        assertRow(lines.get(3), "3", "0.4321", "0.9012", "-", "-", "10.0", "14,000", "0.2%");
        assertTrue(table.contains("test accuracy 0.9375 on 400 samples after 120 steps, 40.5 s"), table);
        assertTrue(table.contains("1 malformed line"), table);
        assertFalse(table.contains("9.99"), "the lost attempt of epoch 2 must not show: " + table);
    }

    @Test
    void runWithoutFinishedEpochsWritesStepChartsOnly() throws IOException {
        try (MetricsLog log = new MetricsLog(dir.resolve(RunReport.METRICS_FILE))) {
            start(log);
            steps(log, 1, 0, 2.0, 1.0);
        }
        RunReport report = RunReport.write(dir);
        assertEquals(List.of(dir.resolve(RunPlots.LOSS), dir.resolve(RunPlots.THROUGHPUT)), report.plots());
        assertEquals(420, ImageIO.read(dir.resolve(RunPlots.LOSS).toFile()).getHeight());
        assertTrue(report.table().contains("(no epoch finished)"), report.table());
        assertFalse(Files.exists(dir.resolve(RunPlots.ACCURACY)));
    }

    @Test
    void missingMetricsFileNamesIt() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> RunReport.write(dir));
        assertTrue(e.getMessage().contains(RunReport.METRICS_FILE), e.getMessage());
    }

    @Test
    void singleEpochChartsRender() throws IOException {
        Path file = dir.resolve(RunReport.METRICS_FILE);
        Files.writeString(file, "{\"event\":\"step\",\"epoch\":1,\"step\":5,\"loss\":0.5,\"lr\":0.001,"
                + "\"samples_per_s\":100.0}\n{\"event\":\"epoch\",\"epoch\":1,\"steps\":5,\"train_loss\":0.5,"
                + "\"train_accuracy\":0.75,\"eval_loss\":NaN,\"eval_accuracy\":NaN,\"seconds\":1.0,"
                + "\"samples_per_s\":100.0,\"data_wait_fraction\":0.0}\n", StandardCharsets.UTF_8);
        RunReport report = RunReport.write(dir);
        // no timing fields in this (older) record: no step-time chart, the rest renders
        assertEquals(3, report.plots().size(), report.plots().toString());
        assertRow(report.table().lines().toList().get(1), "1", "0.5000", "0.7500", "-", "-", "1.0", "100", "0.0%");
    }

    private static void assertRow(String line, String... cells) {
        assertEquals(List.of(cells), Arrays.asList(line.trim().split("\\s+")), line);
    }

    private static int count(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
