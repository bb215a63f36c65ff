package dev.sluice.engine.collective;

import java.io.IOException;

/**
 * A collective operation or the group setup failed. {@link #reason()} says what kind of failure it
 * was, {@link #rank()} which rank reports it and {@link #peerRank()} which other rank is involved
 * (or -1). After a failure during an operation the collective is unusable: every rank must close
 * it, and the job restarts from its last checkpoint.
 */
public class CollectiveException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Kinds of failure. */
    public enum Reason {
        /** Not every rank joined the rendezvous in time, or rank 0 could not be reached. */
        RENDEZVOUS_TIMEOUT,
        /** Ranks were started with different world sizes. */
        WORLD_SIZE_MISMATCH,
        /** Ranks were started with different configuration fingerprints. */
        FINGERPRINT_MISMATCH,
        /** Two processes claimed the same rank, or a rank outside [0, world size). */
        RANK_CONFLICT,
        /** Something that does not speak this protocol (or another version of it) answered. */
        PROTOCOL_ERROR,
        /** Sockets could not be opened, bound or connected. */
        NETWORK,
        /** Ranks made different collective calls (operation, size, type, op or root differ). */
        CALL_MISMATCH,
        /** A peer rank died, closed its collective or failed; {@link #peerRank()} names it. */
        PEER_FAILED,
        /** No progress within the configured operation timeout. */
        TIMEOUT,
        /** The calling thread was interrupted; the collective is now unusable. */
        INTERRUPTED,
        /** This collective was closed, or failed earlier and is unusable. */
        CLOSED
    }

    private final Reason reason;
    private final int rank;
    private final int peerRank;
    private final String detail;

    public CollectiveException(Reason reason, int rank, int peerRank, String message) {
        super(format(rank, message));
        this.detail = message;
        this.reason = reason;
        this.rank = rank;
        this.peerRank = peerRank;
    }

    public CollectiveException(Reason reason, int rank, int peerRank, String message, Throwable cause) {
        super(format(rank, message), cause);
        this.detail = message;
        this.reason = reason;
        this.rank = rank;
        this.peerRank = peerRank;
    }

    private static String format(int rank, String message) {
        return rank < 0 ? message : "rank " + rank + ": " + message;
    }

    /** What kind of failure this is. */
    public Reason reason() {
        return reason;
    }

    /** The rank that reports the failure, or -1 when not known yet (before rendezvous). */
    public int rank() {
        return rank;
    }

    /** The message without the reporting rank's prefix. */
    public String detail() {
        return detail;
    }

    /** The other rank involved (the one that died, timed out or differs), or -1. */
    public int peerRank() {
        return peerRank;
    }
}
