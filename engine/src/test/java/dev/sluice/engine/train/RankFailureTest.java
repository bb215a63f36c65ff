package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.cli.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rank that dies takes the job down fast: the CLI trains in two processes launched as torchrun
 * would (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), rank 1 is killed with SIGKILL once training is
 * under way, and rank 0 exits non-zero within seconds with an error naming rank 1, instead of
 * waiting for the 5-minute operation timeout.
 */
class RankFailureTest {

    @TempDir
    Path tmp;

    private Path ingest() throws IOException {
        Path images = tmp.resolve("img.gz");
        Path labels = tmp.resolve("lab.gz");
        TinyIdx.write(images, labels, 3000, 5);
        Path data = tmp.resolve("columns");
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"ingest", "--from", "idx:" + images + "," + labels, "--to", data.toString(),
            "--split", "train", "--shard-size", "64KB"}, new PrintWriter(out, true), new PrintWriter(out, true));
        assertEquals(0, code, out.toString());
        return data;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process launch(Path data, int rank, int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--data", data.toString(), "--eval-split", "none", "--epochs", "100",
                "--batch-size", "10", "--lr", "0.003", "--devices", "cpu", "--progress", "never",
                "--run-dir", tmp.resolve("run-" + rank).toString());
        pb.environment().put("MASTER_ADDR", "127.0.0.1");
        pb.environment().put("MASTER_PORT", Integer.toString(port));
        pb.environment().put("RANK", Integer.toString(rank));
        pb.environment().put("WORLD_SIZE", "2");
        pb.environment().remove("LOCAL_RANK");
        pb.redirectErrorStream(true);
        return pb.start();
    }

    /** Collects a process's output lines; counts down {@code seen} at the first line containing {@code marker}. */
    private static CompletableFuture<List<String>> drain(Process p, String marker, CountDownLatch seen) {
        return CompletableFuture.supplyAsync(() -> {
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    if (line.contains(marker)) {
                        seen.countDown();
                    }
                }
            } catch (IOException e) {
                lines.add("(output lost: " + e + ")");
            }
            return lines;
        });
    }

    @Test
    void killingRankOneMakesRankZeroExitFastNamingIt() throws Exception {
        Path data = ingest();
        int port = freePort();
        Process rank0 = launch(data, 0, port);
        Process rank1 = launch(data, 1, port);
        try {
            // with --progress never rank 0 prints a line every quarter epoch: training is under way
            CountDownLatch training = new CountDownLatch(1);
            CompletableFuture<List<String>> out0 = drain(rank0, "epoch 1/100", training);
            CompletableFuture<List<String>> out1 = drain(rank1, "\u0000", new CountDownLatch(1));
            assertTrue(training.await(120, TimeUnit.SECONDS), () -> "training did not start:\n"
                    + String.join("\n", out0.getNow(List.of())));
            assertTrue(rank1.isAlive(), "rank 1 ended on its own: " + String.join("\n", out1.getNow(List.of())));

            long killed = System.nanoTime();
            rank1.destroyForcibly(); // SIGKILL: no shutdown hooks, the kernel closes its sockets
            assertTrue(rank0.waitFor(30, TimeUnit.SECONDS), "rank 0 still running 30 s after rank 1 was killed");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            String output = String.join("\n", out0.get(10, TimeUnit.SECONDS));

            assertNotEquals(0, rank0.exitValue(), output);
            assertTrue(ms < 10_000, "rank 0 took " + ms + " ms to fail; its operation timeout is 5 minutes\n" + output);
            String error = output.lines().filter(l -> l.startsWith("error:")).findFirst().orElse("");
            assertTrue(error.contains("rank 1"), "the error must name rank 1:\n" + output);
        } finally {
            rank0.destroyForcibly();
            rank1.destroyForcibly();
        }
    }
}
