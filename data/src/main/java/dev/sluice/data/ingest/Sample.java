package dev.sluice.data.ingest;

import java.nio.ByteBuffer;

/**
 * One sample read from a source: a value per schema field, and per field the encoding detected in
 * the bytes (null where the field is not encoded bytes or nothing was recognised).
 *
 * @param values one value per field, in schema order, as {@link dev.sluice.data.format.DatasetWriter#add} takes them
 * @param encodings detected encoding per field, or null entries
 * @param sourceBytes bytes read from the source for this sample (for the MB/s figure)
 */
public record Sample(ByteBuffer[] values, String[] encodings, long sourceBytes) {}
