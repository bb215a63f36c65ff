package dev.sluice.data.ingest;

/** Receives progress from {@link Ingest}, on the thread that writes, after each sample or skip. */
public interface IngestProgress {

    /** Ignores progress. */
    IngestProgress NONE = new IngestProgress() {
        @Override
        public void start(String split, long inputs) {}

        @Override
        public void update(long inputsDone, long sourceBytes) {}
    };

    /**
     * A split starts.
     *
     * @param inputs number of inputs if known, else -1
     */
    void start(String split, long inputs);

    /** Inputs consumed so far in this split (written, skipped or resumed) and source bytes read. */
    void update(long inputsDone, long sourceBytes);

    /** The split is written. */
    default void finish(String split) {}
}
