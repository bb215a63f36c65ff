package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.collective.TcpCollective;
import dev.sluice.engine.collective.TcpOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link DataParallelEquivalenceTest} across two real processes: this JVM is rank 0, a second JVM
 * ({@link DataParallelPeer}) is rank 1, gradients are averaged by {@link CollectiveGradientSync} over
 * a {@link TcpCollective} on loopback. After 20 steps with SGD (momentum) and then AdamW, rank 1's
 * parameters are bit-identical to rank 0's (same SHA-256), and rank 0's equal those of one replica
 * trained with the whole batch (relative 1e-5).
 */
class DataParallelMultiProcessTest {

    private static final List<String> OPTIMIZERS = List.of("sgd", "adamw");

    private static Process spawn(int port) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx512m", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                DataParallelPeer.class.getName(), Integer.toString(port)));
        command.addAll(OPTIMIZERS);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    @Test
    void twoProcessesTrainLikeOneReplicaWithTheWholeBatchAndStayBitIdentical() throws Exception {
        TcpOptions rankZero = TcpOptions.of("127.0.0.1", 0, 0, 2).withRendezvousTimeout(Duration.ofSeconds(60))
                .withOperationTimeout(Duration.ofSeconds(60));
        Process child;
        TcpCollective c;
        try (TcpCollective.Master master = TcpCollective.listen(rankZero)) {
            child = spawn(master.port());
            c = master.awaitPeers();
        }
        try (c; BufferedReader fromChild = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String optimizer : OPTIMIZERS) {
                try (Replica r0 = DataParallelFixture.replica(0, 11);
                     Replica single = DataParallelFixture.replica(0, 7);
                     CollectiveGradientSync sync = new CollectiveGradientSync(c)) {
                    DataParallelFixture.copyParameters(r0, single);
                    DataParallelFixture.trainHalf(r0, sync, optimizer);
                    DataParallelFixture.trainWhole(single, optimizer);

                    String line = fromChild.readLine();
                    assertEquals("DIGEST " + optimizer + " " + DataParallelFixture.digest(r0), line,
                            optimizer + ": rank 1's parameters differ from rank 0's (or rank 1 failed)");
                    double difference = Arrays.stream(DataParallelFixture.relativeDifferences(
                            DataParallelFixture.parameters(single), DataParallelFixture.parameters(r0))).max()
                            .orElseThrow();
                    assertTrue(difference <= DataParallelEquivalenceTest.TOLERANCE, optimizer
                            + ": two processes with B differ from one replica with 2B by " + difference);
                }
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "rank 1 did not exit");
            assertEquals(0, child.exitValue(), "rank 1's exit code");
        } finally {
            child.destroyForcibly();
        }
    }
}
