package dev.sluice.engine.collective;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Rank 1 of a two-process test group, run in its own JVM by {@link TcpMultiProcessTest}.
 * Arguments: master port, mode ({@code allreduce} or {@code hang}).
 */
public final class TcpPeerProcess {

    static final int COUNT = 100_003;

    private TcpPeerProcess() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String mode = args[1];
        TcpOptions options = TcpOptions.of("127.0.0.1", port, 1, 2).withRendezvousTimeout(Duration.ofSeconds(30))
                .withOperationTimeout(Duration.ofSeconds(60));
        try (TcpCollective c = TcpCollective.connect(options)) {
            if (mode.equals("hang")) {
                System.out.println("READY");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // alive but not calling anything, until killed
                }
                return;
            }
            ByteBuffer exact = exactInput(c.rank());
            c.allReduce(exact, ElementType.FLOAT32, ReduceOp.SUM);
            for (int i = 0; i < COUNT; i++) {
                if (exact.getFloat(4 * i) != CollectiveContractTest.value(0, i) + CollectiveContractTest.value(1, i)) {
                    System.out.println("WRONG element " + i + ": " + exact.getFloat(4 * i));
                    System.exit(2);
                }
            }
            ByteBuffer random = randomInput(c.rank());
            c.allReduce(random, ElementType.FLOAT32, ReduceOp.AVG);
            System.out.println("DIGEST " + digest(random));
        }
    }

    static ByteBuffer exactInput(int rank) {
        ByteBuffer b = Ranks.direct(4 * COUNT);
        for (int i = 0; i < COUNT; i++) {
            b.putFloat(4 * i, CollectiveContractTest.value(rank, i));
        }
        return b;
    }

    static ByteBuffer randomInput(int rank) {
        float[] values = CollectiveContractTest.randomInputs(2, COUNT, 99)[rank];
        ByteBuffer b = Ranks.direct(4 * COUNT);
        b.asFloatBuffer().put(values);
        return b;
    }

    static String digest(ByteBuffer b) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate().clear());
        return HexFormat.of().formatHex(md.digest());
    }

}
