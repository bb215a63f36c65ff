package dev.sluice.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.ReduceOp;
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.optim.Param;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient averaging for replicas whose tensors live in host memory: gradients are packed into
 * flat buckets of about 25 MB (one collective call per bucket instead of one per parameter),
 * all-reduced with {@link ReduceOp#AVG} and unpacked. Bucket buffers are allocated once.
 */
final class CollectiveGradientSync implements GradientSync {

    /** Bucket size PyTorch DDP also uses: large enough to amortize latency, small enough to pipeline. */
    static final int BUCKET_BYTES = 25 << 20;

    private final Collective collective;
    private final DirectAllocator memory = new DirectAllocator();
    private final List<ByteBuffer> buckets = new ArrayList<>();
    private ByteBuffer scalars;

    CollectiveGradientSync(Collective collective) {
        this.collective = collective;
    }

    Collective collective() {
        return collective;
    }

    @Override
    public long average(List<Param> params) throws Exception {
        long t0 = System.nanoTime();
        try (NDManager tmp = params.get(0).array().getManager().newSubManager()) {
            List<NDArray> grads = GradientSync.gradients(params, tmp);
            reduceInBuckets(grads, true);
        }
        return System.nanoTime() - t0;
    }

    @Override
    public void broadcast(List<Param> tensors) throws Exception {
        if (tensors.isEmpty()) {
            return;
        }
        List<NDArray> arrays = new ArrayList<>();
        for (Param p : tensors) {
            arrays.add(p.array());
        }
        reduceInBuckets(arrays, false);
    }

    /** Packs consecutive tensors into buckets and all-reduces (average) or broadcasts (from rank 0) each. */
    private void reduceInBuckets(List<NDArray> arrays, boolean average) throws Exception {
        int bucketNo = 0;
        int i = 0;
        while (i < arrays.size()) {
            int j = i;
            long bytes = 0;
            while (j < arrays.size() && (j == i || bytes + nbytes(arrays.get(j)) <= BUCKET_BYTES)) {
                bytes += nbytes(arrays.get(j));
                j++;
            }
            ByteBuffer bucket = bucket(bucketNo++, (int) bytes);
            int off = 0;
            for (int k = i; k < j; k++) {
                ByteBuffer src = PyTorchInternals.memory(arrays.get(k));
                bucket.put(off, src, 0, src.limit());
                off += src.limit();
            }
            ByteBuffer region = bucket.duplicate().position(0).limit(off);
            if (average) {
                collective.allReduce(region, ElementType.FLOAT32, ReduceOp.AVG);
            } else {
                collective.broadcast(region, 0);
            }
            off = 0;
            for (int k = i; k < j; k++) {
                ByteBuffer dst = PyTorchInternals.memory(arrays.get(k));
                dst.put(0, bucket, off, dst.limit());
                off += dst.limit();
            }
            i = j;
        }
    }

    private static long nbytes(NDArray a) {
        return a.size() * a.getDataType().getNumOfBytes();
    }

    private ByteBuffer bucket(int index, int bytes) {
        while (buckets.size() <= index) {
            buckets.add(null);
        }
        ByteBuffer b = buckets.get(index);
        if (b == null || b.capacity() < bytes) {
            if (b != null) {
                memory.free(b);
            }
            b = memory.allocate(Math.max(bytes, 1));
            buckets.set(index, b);
        }
        return b;
    }

    @Override
    public double[] averageScalars(double[] values) throws Exception {
        if (scalars == null || scalars.capacity() < values.length * 8) {
            if (scalars != null) {
                memory.free(scalars);
            }
            scalars = memory.allocate(Math.max(64, values.length * 8));
        }
        for (int i = 0; i < values.length; i++) {
            scalars.putDouble(i * 8, values[i]);
        }
        collective.allReduce(scalars.duplicate().position(0).limit(values.length * 8), ElementType.FLOAT64,
                ReduceOp.AVG);
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = scalars.getDouble(i * 8);
        }
        return out;
    }

    @Override
    public void close() {
        for (ByteBuffer b : buckets) {
            if (b != null) {
                memory.free(b);
            }
        }
        buckets.clear();
        if (scalars != null) {
            memory.free(scalars);
            scalars = null;
        }
    }
}
