package dev.sluice.engine.collective;

import java.time.Duration;

/**
 * Settings of a {@link TcpCollective}: where rank 0 listens, who this rank is and how long to wait.
 *
 * @param masterHost host name or address of rank 0, reachable from every rank ({@code MASTER_ADDR})
 * @param masterPort port rank 0 listens on for the rendezvous ({@code MASTER_PORT}); 0 lets rank 0
 *     pick a free port (see {@link TcpCollective#listen})
 * @param rank this rank, in [0, worldSize) ({@code RANK})
 * @param worldSize number of ranks ({@code WORLD_SIZE})
 * @param fingerprint a digest of the configuration that must be equal on every rank (model,
 *     parameter count, bucket layout...); compared at rendezvous
 * @param rendezvousTimeout how long setup may take until every rank has joined and the ring is
 *     connected
 * @param operationTimeout how long an operation may go without any bytes moving before it fails;
 *     this includes waiting for a slower rank to reach the same call, so it must exceed the longest
 *     expected imbalance between ranks (e.g. a checkpoint written by one rank)
 * @param chunkBytes receive chunk for reductions: the ring reduces one chunk while the next one
 *     arrives; rounded down to a multiple of 8
 */
public record TcpOptions(String masterHost, int masterPort, int rank, int worldSize, String fingerprint,
                         Duration rendezvousTimeout, Duration operationTimeout, int chunkBytes) {

    /** Default rendezvous timeout. */
    public static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofMinutes(2);
    /** Default operation (no-progress) timeout. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofMinutes(5);
    /** Default receive chunk. */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

    public TcpOptions {
        if (masterHost == null || masterHost.isBlank()) {
            throw new IllegalArgumentException("master host is empty: set MASTER_ADDR to rank 0's address");
        }
        if (masterPort < 0 || masterPort > 65_535) {
            throw new IllegalArgumentException("master port must be in [0, 65535], got " + masterPort);
        }
        if (worldSize < 1 || worldSize > 65_535) {
            throw new IllegalArgumentException("world size must be in [1, 65535], got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is not in [0, " + worldSize + ")");
        }
        if (masterPort == 0 && rank != 0 && worldSize > 1) {
            throw new IllegalArgumentException("rank " + rank + " needs rank 0's actual port, got 0");
        }
        fingerprint = fingerprint == null ? "" : fingerprint;
        if (rendezvousTimeout == null || rendezvousTimeout.isNegative() || rendezvousTimeout.isZero()) {
            throw new IllegalArgumentException("rendezvous timeout must be positive, got " + rendezvousTimeout);
        }
        if (operationTimeout == null || operationTimeout.isNegative() || operationTimeout.isZero()) {
            throw new IllegalArgumentException("operation timeout must be positive, got " + operationTimeout);
        }
        if (chunkBytes < 4096) {
            throw new IllegalArgumentException("chunk must be at least 4096 bytes, got " + chunkBytes);
        }
        chunkBytes &= ~7;
    }

    /** Options with an empty fingerprint and default timeouts and chunk size. */
    public static TcpOptions of(String masterHost, int masterPort, int rank, int worldSize) {
        return new TcpOptions(masterHost, masterPort, rank, worldSize, "", DEFAULT_RENDEZVOUS_TIMEOUT,
                DEFAULT_OPERATION_TIMEOUT, DEFAULT_CHUNK_BYTES);
    }

    public TcpOptions withRank(int newRank) {
        return new TcpOptions(masterHost, masterPort, newRank, worldSize, fingerprint, rendezvousTimeout,
                operationTimeout, chunkBytes);
    }

    public TcpOptions withMasterPort(int port) {
        return new TcpOptions(masterHost, port, rank, worldSize, fingerprint, rendezvousTimeout,
                operationTimeout, chunkBytes);
    }

    public TcpOptions withFingerprint(String value) {
        return new TcpOptions(masterHost, masterPort, rank, worldSize, value, rendezvousTimeout,
                operationTimeout, chunkBytes);
    }

    public TcpOptions withRendezvousTimeout(Duration value) {
        return new TcpOptions(masterHost, masterPort, rank, worldSize, fingerprint, value,
                operationTimeout, chunkBytes);
    }

    public TcpOptions withOperationTimeout(Duration value) {
        return new TcpOptions(masterHost, masterPort, rank, worldSize, fingerprint, rendezvousTimeout,
                value, chunkBytes);
    }

    public TcpOptions withChunkBytes(int value) {
        return new TcpOptions(masterHost, masterPort, rank, worldSize, fingerprint, rendezvousTimeout,
                operationTimeout, value);
    }
}
