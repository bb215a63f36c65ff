package dev.sluice.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.engine.device.DeviceTypes;
import dev.sluice.engine.device.FeedSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.AbstractList;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.RandomAccess;

/**
 * One epoch of a {@link SluiceDataset} as DJL batches. Looks one batch ahead (so {@link #hasNext}
 * can answer), converting it right away so its host buffer goes back to the pool; at the end of the
 * epoch, or when closed early, the stream is closed and every buffer is back in the pool.
 */
final class EpochIterator implements Iterator<Batch>, AutoCloseable {

    private final EpochStream stream;
    private final NDManager parent;
    private final FeedSpec feed;
    private final DataType labelType;
    private final NDArray mean;
    private final NDArray invStd;
    private final long epoch;
    private final long total;
    private final String where;
    private long delivered;
    private Batch ahead;
    private boolean closed;

    EpochIterator(Loader loader, FeedSpec feed, NDManager parent, long epoch, long total, String where) {
        this.feed = feed;
        this.parent = parent;
        this.epoch = epoch;
        this.total = total;
        this.where = where;
        this.labelType = DeviceTypes.of(loader.fields().get(1).dtype());
        float[] inv = new float[feed.std().length];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1f / feed.std()[i];
        }
        Shape perChannel = new Shape(1, feed.channels(), 1, 1);
        this.mean = parent.create(feed.mean(), perChannel);
        this.invStd = parent.create(inv, perChannel);
        try {
            this.stream = loader.open(LoaderState.start(loader.config().seed(), epoch));
        } catch (RuntimeException e) {
            mean.close();
            invStd.close();
            throw e;
        }
    }

    @Override
    public boolean hasNext() {
        if (ahead == null && !closed) {
            if (delivered >= total) {
                close();
                return false;
            }
            HostBatch hb;
            try {
                hb = stream.next();
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("could not read epoch " + epoch + " of " + where + " (batch "
                        + delivered + "): " + e.getMessage(), e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            if (hb == null) {
                close();
                return false;
            }
            ahead = convert(hb);
        }
        return ahead != null;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " of " + where + " has no more batches");
        }
        Batch b = ahead;
        ahead = null;
        delivered++;
        return b;
    }

    /** Float32 NCHW normalized inputs and int64 labels in a sub-manager; the host batch is closed. */
    private Batch convert(HostBatch hb) {
        NDManager m = parent.newSubManager();
        try (hb) {
            int n = hb.size();
            Shape raw = feed.channelsLast()
                    ? new Shape(n, feed.height(), feed.width(), feed.channels())
                    : new Shape(n, feed.channels(), feed.height(), feed.width());
            // u8 and rawLabels may alias the pooled buffer (no copy on CPU): both are replaced by
            // converted copies and closed before the buffer goes back to the pool
            NDArray u8 = m.create(hb.buffer(0), raw, DataType.UINT8);
            NDArray scaled = u8.toType(DataType.FLOAT32, false).muli(1f / 255f);
            u8.close();
            NDArray nchw = feed.channelsLast() ? scaled.transpose(0, 3, 1, 2) : scaled;
            NDArray x = nchw.sub(mean).muli(invStd);
            if (nchw != scaled) {
                nchw.close();
            }
            scaled.close();
            NDArray rawLabels = m.create(hb.buffer(1), new Shape(n), labelType);
            // PyTorch's to() returns the same tensor when the type already matches, copy flag or not:
            // int64 labels (the imagefolder importer's) would stay a view of the pooled buffer and
            // change under the caller when the buffer is refilled, so those are cloned
            NDArray y = labelType == DataType.INT64 ? rawLabels.duplicate() : rawLabels.toType(DataType.INT64, false);
            rawLabels.close();
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = hb.sampleId(i);
            }
            return new Batch(m, new NDList(x), new NDList(y), n, Batchifier.STACK, Batchifier.STACK, delivered,
                    total, new SampleIds(ids));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Ends the epoch early or at its end: converted-but-undelivered and queued batches are freed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (ahead != null) {
                ahead.close();
                ahead = null;
            }
            stream.close();
        } finally {
            mean.close();
            invStd.close();
        }
    }

    /** Sample ids of a batch, boxed only when read. */
    private static final class SampleIds extends AbstractList<Long> implements RandomAccess {
        private final long[] ids;

        SampleIds(long[] ids) {
            this.ids = ids;
        }

        @Override
        public Long get(int index) {
            return ids[index];
        }

        @Override
        public int size() {
            return ids.length;
        }
    }
}
