package dev.sluice.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark trains the same model on one and two CPU replicas for the same number of steps and
 * reports consistent throughput and scaling figures.
 */
class MultiDeviceBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void comparesOneAndTwoReplicas() throws Exception {
        Path data = DemoDataset.write(tmp.resolve("bands"), 1500, 10, 5);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

        List<MultiDeviceBenchmark.Measurement> ms = MultiDeviceBenchmark.run(new String[] {
            "--data", data.toString(), "--devices", "cpu:1", "--devices", "cpu:2", "--steps", "30",
            "--batch-size", "32", "--warmup-steps", "5", "--run-dir", tmp.resolve("runs").toString()}, out);

        assertEquals(2, ms.size());
        MultiDeviceBenchmark.Measurement one = ms.get(0);
        MultiDeviceBenchmark.Measurement two = ms.get(1);
        assertEquals("cpu:1", one.devices());
        assertEquals("cpu:2", two.devices());
        assertEquals(1, one.replicas());
        assertEquals(2, two.replicas());
        // a fixed number of steps, each replica a full batch per step; with 1500 samples an epoch
        // is 46 steps for one replica but 23 for two, so the two-replica run crosses an epoch
        for (MultiDeviceBenchmark.Measurement m : ms) {
            assertEquals(30, m.steps(), m.toString());
            assertEquals(30L * 32 * m.replicas(), m.samples(), m.toString());
            assertTrue(m.seconds() > 0 && m.samplesPerSecond() > 0, m.toString());
            assertEquals(m.samples() / m.seconds(), m.samplesPerSecond(), 1e-9 * m.samplesPerSecond());
        }
        assertEquals(1.0, one.efficiency(), 1e-12);
        assertEquals(two.samplesPerSecond() / (2 * one.samplesPerSecond()), two.efficiency(), 1e-12);

        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("mlp, batch 32 per replica, 30 steps"), printed);
        for (MultiDeviceBenchmark.Measurement m : ms) {
            String row = String.format(Locale.ROOT, "%-16s %8d %,12.0f %9.2f %7.1f%%", m.devices(), m.replicas(),
                    m.samplesPerSecond(), m.seconds(), m.efficiency() * 100);
            assertTrue(printed.contains(row), "missing row '" + row + "' in\n" + printed);
        }
    }

    @Test
    void comparesOneGpuWithAllWhenThereAreSeveral() {
        assertEquals(List.of("cpu:1", "cpu:2"), MultiDeviceBenchmark.defaultDevices(0));
        assertEquals(List.of("cpu:1", "cpu:2"), MultiDeviceBenchmark.defaultDevices(1));
        assertEquals(List.of("cuda:0", "cuda:0,1,2,3"), MultiDeviceBenchmark.defaultDevices(4));
    }
}
