package dev.sluice.engine.train;

import dev.sluice.engine.collective.TcpCollective;
import dev.sluice.engine.collective.TcpOptions;
import java.time.Duration;

/**
 * Rank 1 of {@link DataParallelMultiProcessTest}, in its own JVM: joins rank 0's rendezvous at
 * 127.0.0.1:PORT, then for each optimizer named in the arguments trains a fresh replica (its own
 * initial parameters, replaced by rank 0's through the broadcast) on its half of every batch, and
 * prints {@code DIGEST <optimizer> <sha-256 of its parameters>}.
 *
 * <p>Arguments: PORT OPTIMIZER...
 */
public final class DataParallelPeer {

    private DataParallelPeer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        TcpOptions options = TcpOptions.of("127.0.0.1", port, 1, 2).withRendezvousTimeout(Duration.ofSeconds(60))
                .withOperationTimeout(Duration.ofSeconds(60));
        try (TcpCollective c = TcpCollective.connect(options)) {
            for (int i = 1; i < args.length; i++) {
                String optimizer = args[i];
                try (Replica r = DataParallelFixture.replica(1, 13);
                     CollectiveGradientSync sync = new CollectiveGradientSync(c)) {
                    DataParallelFixture.trainHalf(r, sync, optimizer);
                    System.out.println("DIGEST " + optimizer + " " + DataParallelFixture.digest(r));
                    System.out.flush();
                }
            }
        }
    }
}
