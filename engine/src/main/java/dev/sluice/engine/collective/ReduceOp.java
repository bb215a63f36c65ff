package dev.sluice.engine.collective;

/** How {@link Collective#allReduce} combines the ranks' elements. */
public enum ReduceOp {
    /** Sum over all ranks. */
    SUM,
    /**
     * Sum over all ranks divided by the world size. For floating point the division is done once,
     * on the full sum; for integer types it is the (wrapped) sum divided by the world size,
     * truncated toward zero, as NCCL does.
     */
    AVG,
    /** Largest value (for floats: NaN wins, as {@link Math#max(float, float)}). */
    MAX,
    /** Smallest value (for floats: NaN wins, as {@link Math#min(float, float)}). */
    MIN
}
