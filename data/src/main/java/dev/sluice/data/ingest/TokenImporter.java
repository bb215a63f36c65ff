package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Imports a flat stream of token ids (nanoGPT's {@code .bin}: little-endian uint16 or uint32, no
 * header) as fixed-length sequences for next-token prediction. With sequence length {@code N}, a
 * sample is {@code N + 1} consecutive tokens, field {@code tokens} of shape {@code [N + 1]}: the model
 * reads tokens {@code 0..N-1} as input and {@code 1..N} as targets. Sample {@code i} starts at token
 * {@code i * N}, so consecutive samples share one token and every token after the first is a target
 * exactly once; the last {@code (T - 1) mod N} tokens, too few for a sample, are dropped.
 */
public final class TokenImporter implements Importer {

    /** Name of the token field. */
    public static final String TOKENS = "tokens";
    /** Metadata key of the vocabulary size: the largest id in the file + 1. */
    public static final String VOCAB_SIZE = "tokens.vocab_size";

    private final Path file;
    private final String split;
    private final DType dtype;
    private final int seqLen;
    private final long tokens;
    private final FileChannel channel;

    /**
     * @param dtype {@link DType#UINT16} or {@link DType#UINT32}
     * @param seqLen N, the model's context length
     * @throws InputException if the file's size is not a whole number of tokens, or it holds fewer than N + 1
     */
    public TokenImporter(Path file, String split, DType dtype, int seqLen) throws IOException {
        if (dtype != DType.UINT16 && dtype != DType.UINT32) {
            throw new IngestUsageException("tokens: --dtype must be uint16 or uint32, not " + dtype.jsonName());
        }
        if (seqLen < 1) {
            throw new IngestUsageException("tokens: --seq-len must be positive, not " + seqLen);
        }
        if (!Files.isRegularFile(file)) {
            throw new IngestUsageException(file + " does not exist or is not a file");
        }
        this.file = file.toAbsolutePath().normalize();
        this.split = split;
        this.dtype = dtype;
        this.seqLen = seqLen;
        long size = Files.size(file);
        if (size % dtype.bytes() != 0) {
            throw new InputException(file + ": " + size + " bytes is not a whole number of " + dtype.jsonName()
                    + " tokens (" + dtype.bytes() + " bytes each; " + size % dtype.bytes() + " byte(s) left over);"
                    + " is the file truncated, or is --dtype wrong?");
        }
        this.tokens = size / dtype.bytes();
        if (tokens < seqLen + 1L) {
            throw new InputException(file + ": " + tokens + " tokens, fewer than one sample of --seq-len " + seqLen
                    + " + 1; use a smaller --seq-len");
        }
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    /** Number of samples: (T - 1) / N. */
    public long samples() {
        return (tokens - 1) / seqLen;
    }

    @Override
    public Schema schema() {
        return Schema.of(FieldSpec.of(TOKENS, dtype, seqLen + 1L));
    }

    @Override
    public List<String> splits() {
        return List.of(split);
    }

    @Override
    public long count(String s) {
        return samples();
    }

    @Override
    public Iterator<Input> inputs(String s) {
        return new Iterator<>() {
            long i;

            @Override
            public boolean hasNext() {
                return i < samples();
            }

            @Override
            public Input next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return new Sequence(i++);
            }
        };
    }

    @Override
    public Map<String, String> metadata(String s) throws IOException {
        return Map.of("source." + split, "tokens:" + file, "tokens.seq_len", Integer.toString(seqLen),
                VOCAB_SIZE, Long.toString(largestId() + 1));
    }

    /**
     * The largest id in the file, read once: {@code tokens.vocab_size} (largest id + 1) lets a model size its
     * embedding without being told, where the dtype's range (65,536 ids for uint16) would be far too large.
     */
    private long largestId() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long max = 0;
        long at = 0;
        while (at < tokens * dtype.bytes()) {
            buf.clear();
            int n = channel.read(buf, at);
            if (n <= 0) {
                throw new InputException(file + ": ended at byte " + at + " while its size says "
                        + tokens * dtype.bytes() + "; was it truncated while being read?");
            }
            at += n;
            buf.flip();
            if (dtype == DType.UINT16) {
                while (buf.remaining() >= 2) {
                    max = Math.max(max, buf.getShort() & 0xffffL);
                }
            } else {
                while (buf.remaining() >= 4) {
                    max = Math.max(max, buf.getInt() & 0xffffffffL);
                }
            }
            at -= buf.remaining(); // a token split across two reads is read again whole
        }
        return max;
    }

    @Override
    public String fingerprint() {
        return "tokens:" + file + "|tokens=" + tokens + "|dtype=" + dtype.jsonName() + "|seq-len=" + seqLen
                + "|split=" + split;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Sample i: tokens [i*N, i*N + N]. */
    private final class Sequence implements Input {
        private final long index;

        Sequence(long index) {
            this.index = index;
        }

        @Override
        public String where() {
            return file + " sample " + index;
        }

        @Override
        public Sample read() throws IOException {
            int n = (seqLen + 1) * dtype.bytes();
            ByteBuffer b = ByteBuffer.allocate(n);
            long at = index * seqLen * dtype.bytes();
            while (b.hasRemaining()) {
                // positional reads are safe from several threads on one channel
                if (channel.read(b, at + b.position()) < 0) {
                    throw new EOFException(file + ": ended at byte " + (at + b.position()) + " while reading sample "
                            + index + "; was it truncated during the ingest?");
                }
            }
            return new Sample(new ByteBuffer[] {b.flip()}, new String[1], n);
        }
    }
}
