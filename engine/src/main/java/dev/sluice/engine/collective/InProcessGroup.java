package dev.sluice.engine.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A group of replicas in one JVM, one thread per replica, communicating through shared memory.
 * Create the group once, then hand {@link #member(int)} {@code r} to the thread of replica
 * {@code r}.
 *
 * <p>All-reduce is a reduce-scatter followed by an all-gather over the ranks' own buffers: rank
 * {@code r} reduces slice {@code r} of every buffer into its own buffer, then every rank copies the
 * other ranks' reduced slices. Each byte is read about twice and written twice in total, split over
 * all threads, with three barriers per call and no copies through intermediate buffers. Each
 * element is combined in rank order 0, 1, …, N-1 exactly once, so results are deterministic and
 * bit-identical on every rank.
 *
 * <p>A rank that fails, is interrupted, times out or closes its handle terminates the group: every
 * rank waiting in or later entering a collective gets a {@link CollectiveException} naming it.
 */
public final class InProcessGroup {
    /** Default time a rank waits for the others at one synchronization point. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    final int worldSize;
    final long timeoutNanos;
    final Phaser phaser;
    /** Each rank's current region, published before the first barrier of a call. */
    final BufferView[] views;
    /**
     * Each rank's call, published with its view; two slots by call parity because a rank may start
     * its next call while a slower rank still checks the previous one (never two calls ahead).
     */
    final InProcessCollective.Call[][] calls;
    /** Synchronization points each rank has arrived at (to name the missing ranks on timeout). */
    final AtomicLongArray arrivals;
    private final AtomicReference<CollectiveException> failure = new AtomicReference<>();
    private final List<InProcessCollective> members;

    /** A group of {@code worldSize} ranks with the {@link #DEFAULT_TIMEOUT}. */
    public InProcessGroup(int worldSize) {
        this(worldSize, DEFAULT_TIMEOUT);
    }

    /**
     * A group of {@code worldSize} ranks.
     *
     * @param timeout how long a rank waits for the slowest rank at one synchronization point before
     *     the group fails with {@link CollectiveException.Reason#TIMEOUT}
     */
    public InProcessGroup(int worldSize, Duration timeout) {
        if (worldSize < 1 || worldSize > 65_535) {
            throw new IllegalArgumentException("world size must be in [1, 65535], got " + worldSize);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        this.worldSize = worldSize;
        this.timeoutNanos = timeout.toNanos();
        this.phaser = new Phaser(worldSize);
        this.views = new BufferView[worldSize];
        this.calls = new InProcessCollective.Call[worldSize][2];
        this.arrivals = new AtomicLongArray(worldSize);
        List<InProcessCollective> m = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++) {
            views[r] = new BufferView();
            calls[r][0] = new InProcessCollective.Call();
            calls[r][1] = new InProcessCollective.Call();
            m.add(new InProcessCollective(this, r));
        }
        this.members = Collections.unmodifiableList(m);
    }

    /** Number of ranks. */
    public int worldSize() {
        return worldSize;
    }

    /** The handle of rank {@code rank}; use it from that rank's thread only. */
    public InProcessCollective member(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is not in [0, " + worldSize + ")");
        }
        return members.get(rank);
    }

    /** All handles, indexed by rank. */
    public List<InProcessCollective> members() {
        return members;
    }

    /** Records the first failure and releases every waiting rank. */
    void fail(CollectiveException cause) {
        failure.compareAndSet(null, cause);
        phaser.forceTermination();
    }

    /** The failure that terminated the group, or null. */
    CollectiveException failure() {
        return failure.get();
    }
}
