package dev.sluice.data.loader;

/**
 * Samples a rank takes from one shard in one epoch: either {@code count} consecutive samples from
 * {@code start}, or the listed local indices (after an elastic resume left holes).
 */
record Run(int shard, int start, int count, int[] locals) {

    static Run contiguous(int shard, int start, int count) {
        return new Run(shard, start, count, null);
    }

    static Run listed(int shard, int[] locals) {
        return new Run(shard, 0, locals.length, locals);
    }

    /** Local sample index of the run's {@code j}-th sample. */
    int local(int j) {
        return locals == null ? start + j : locals[j];
    }
}
