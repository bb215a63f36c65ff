package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import java.io.IOException;

/**
 * The CPU feeder: wraps each host batch as a uint8 tensor without copying (PyTorch {@code from_blob}
 * over the pooled direct buffer), then converts on the "device" — here the CPU — to normalized
 * float32 NCHW, after which the host buffer goes back to the pool.
 */
public final class HostFeeder implements Feeder {

    private final EpochStream stream;
    private final NDManager parent;
    private final FeedSpec input;
    private final int imageIndex;
    private final int labelIndex;
    private final NDArray mean;
    private final NDArray invStd;
    private final DataType labelType;

    /**
     * @param stream the epoch's host batches
     * @param parent manager on the replica's device; each batch gets a sub-manager
     * @param input which fields and how to normalize
     * @param imageIndex index of the image field within the batch
     * @param labelIndex index of the label field within the batch
     */
    public HostFeeder(EpochStream stream, NDManager parent, FeedSpec input, int imageIndex, int labelIndex) {
        this.stream = stream;
        this.parent = parent;
        this.input = input;
        this.imageIndex = imageIndex;
        this.labelIndex = labelIndex;
        this.labelType = DeviceTypes.of(stream.fields().get(labelIndex).dtype());
        float[] inv = new float[input.std().length];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1f / input.std()[i];
        }
        this.mean = parent.create(input.mean(), new Shape(1, input.channels(), 1, 1));
        this.invStd = parent.create(inv, new Shape(1, input.channels(), 1, 1));
    }

    @Override
    public DeviceBatch next() throws IOException {
        long t0 = System.nanoTime();
        HostBatch hb = stream.next();
        long t1 = System.nanoTime();
        if (hb == null) {
            return null;
        }
        NDManager m = parent.newSubManager();
        try (hb) {
            int n = hb.size();
            Shape raw = input.channelsLast()
                    ? new Shape(n, input.height(), input.width(), input.channels())
                    : new Shape(n, input.channels(), input.height(), input.width());
            NDArray u8 = m.create(hb.buffer(imageIndex), raw, DataType.UINT8);
            NDArray x = u8.toType(DataType.FLOAT32, false).muli(1f / 255f);
            if (input.channelsLast()) {
                x = x.transpose(0, 3, 1, 2);
            }
            x = x.sub(mean).muli(invStd);
            NDArray rawLabels = m.create(hb.buffer(labelIndex), new Shape(n), labelType);
            NDArray y = rawLabels.toType(DataType.INT64, true);
            // these views alias pooled host memory: drop them before the batch goes back to the pool
            u8.close();
            rawLabels.close();
            return new DeviceBatch(x, y, n, t1 - t0, System.nanoTime() - t1, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override
    public void close() {
        mean.close();
        invStd.close();
        stream.close();
    }
}
