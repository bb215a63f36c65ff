package dev.sluice.data.ingest;

import dev.sluice.data.format.Schema;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A source of samples for {@link Ingest}: a schema known before the first sample is read, the
 * splits it fills, and per split a lazily listed, deterministically ordered stream of inputs.
 * Implementations list with bounded memory (one directory, tar or line at a time), never every path.
 */
public interface Importer extends AutoCloseable {

    /** The fields every sample has; bytes fields carry the encoding expected (corrected at commit). */
    Schema schema() throws IOException;

    /** The splits this source fills, in the order they are written. */
    List<String> splits() throws IOException;

    /** Number of inputs of a split (possibly an estimate) if known cheaply, for the progress ETA; else -1. */
    long count(String split) throws IOException;

    /**
     * The inputs of a split in order. The iterator may throw {@link java.io.UncheckedIOException}
     * wrapping an {@link InputException} when the listing itself finds bad data (a corrupt tar).
     */
    Iterator<Input> inputs(String split) throws IOException;

    /** Strings recorded in the manifest's metadata (e.g. {@code source.train}). */
    Map<String, String> metadata(String split) throws IOException;

    /**
     * What identifies this source and its options for {@code --resume}: an interrupted ingest is only
     * continued with the same inputs and options.
     */
    String fingerprint();

    @Override
    default void close() throws IOException {}
}
