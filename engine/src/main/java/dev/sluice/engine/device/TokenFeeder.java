package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sluice.data.format.DType;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Feeds token windows to a language model on any device: each sample's {@code T + 1} stored ids
 * become the inputs {@code [N, T]} (ids {@code 0..T-1}) and the next-token targets {@code [N * T]}
 * (ids {@code 1..T}), both int64. A batch's size is its {@code N * T} predictions, so the trainer's
 * accuracy is per token and its evaluation loss a per-token mean. The ids are widened on the host;
 * token batches are small next to images, so the tensors are created per batch.
 */
public final class TokenFeeder implements Feeder {

    private final EpochStream stream;
    private final NDManager parent;
    private final TokenFeed feed;
    private final int index;
    private long[] inputs = new long[0];
    private long[] targets = new long[0];
    private long delivered;

    /**
     * @param stream the epoch's host batches (closed with the feeder)
     * @param parent manager on the replica's device; each batch gets a sub-manager
     * @param feed the token field
     */
    public TokenFeeder(EpochStream stream, NDManager parent, TokenFeed feed) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.parent = Objects.requireNonNull(parent, "parent");
        this.feed = feed;
        int found = -1;
        for (int i = 0; i < stream.fields().size(); i++) {
            if (stream.fields().get(i).name().equals(feed.field())) {
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("token field '" + feed.field() + "' is not among the loaded fields "
                    + stream.fields());
        }
        this.index = found;
    }

    @Override
    public DeviceBatch next() throws IOException {
        long t0 = System.nanoTime();
        HostBatch hb = stream.next();
        long t1 = System.nanoTime();
        if (hb == null) {
            return null;
        }
        int n;
        int t = feed.length();
        long first = stream.skippedSamples() + delivered;
        try (hb) {
            n = hb.size();
            if (inputs.length < n * t) {
                inputs = new long[n * t];
                targets = new long[n * t];
            }
            ByteBuffer b = hb.buffer(index).duplicate().order(ByteOrder.LITTLE_ENDIAN);
            boolean u16 = feed.dtype() == DType.UINT16;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= t; j++) {
                    int k = i * (t + 1) + j;
                    long id = u16 ? b.getShort(k * 2) & 0xFFFFL : b.getInt(k * 4) & 0xFFFF_FFFFL;
                    if (id >= feed.vocabSize()) {
                        throw new IOException("sample " + hb.sampleId(i) + " holds token id " + id + ", outside the"
                                + " vocabulary of " + feed.vocabSize() + " (" + TokenFeed.VOCAB_SIZE + ")");
                    }
                    if (j < t) {
                        inputs[i * t + j] = id;
                    }
                    if (j > 0) {
                        targets[i * t + j - 1] = id;
                    }
                }
            }
        }
        NDManager m = parent.newSubManager();
        try {
            NDArray x = m.create(java.util.Arrays.copyOf(inputs, n * t), new Shape(n, t));
            NDArray y = m.create(java.util.Arrays.copyOf(targets, n * t), new Shape((long) n * t));
            delivered += n;
            long convert = System.nanoTime() - t1;
            return new DeviceBatch(x, y, n * t, t1 - t0, () -> 0L, () -> convert, m, () -> { }, first);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override
    public void close() {
        stream.close();
    }
}
