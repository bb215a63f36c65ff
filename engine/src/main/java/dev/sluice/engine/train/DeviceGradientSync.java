package dev.sluice.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.ReduceOp;
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.optim.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient averaging where the tensors live: gradients are packed into flat buckets of about 25 MB
 * on the replica's own device with tensor ops, the device collective (NCCL on GPUs) reduces each
 * bucket in place through its address, and the averages are copied back with tensor ops. Nothing
 * crosses to host memory. Small scalars (loss, counts) go through a host collective, since NCCL
 * takes device memory only.
 *
 * <p>On GPUs the NCCL stream is a blocking stream, so it is ordered after PyTorch's work on the
 * legacy default stream, and {@link Collective#synchronize()} makes the reduced bucket visible before
 * it is unpacked.
 */
final class DeviceGradientSync implements GradientSync {

    private final Collective device;
    private final GradientSync host;

    /**
     * @param device collective over the replicas' device memory (NCCL on GPUs)
     * @param host collective over host memory among the same ranks, for scalars
     */
    DeviceGradientSync(Collective device, GradientSync host) {
        this.device = device;
        this.host = host;
    }

    @Override
    public long average(List<Param> params) throws Exception {
        long t0 = System.nanoTime();
        try (NDManager tmp = params.get(0).array().getManager().newSubManager()) {
            List<NDArray> grads = GradientSync.gradients(params, tmp);
            reduce(grads, tmp, true);
        }
        return System.nanoTime() - t0;
    }

    @Override
    public void broadcast(List<Param> tensors) throws Exception {
        if (tensors.isEmpty()) {
            return;
        }
        try (NDManager tmp = tensors.get(0).array().getManager().newSubManager()) {
            List<NDArray> arrays = new ArrayList<>();
            tensors.forEach(p -> arrays.add(p.array()));
            reduce(arrays, tmp, false);
        }
    }

    private void reduce(List<NDArray> arrays, NDManager tmp, boolean average) throws Exception {
        boolean grad = PyTorchInternals.gradMode();
        PyTorchInternals.setGradMode(false);
        try {
            int i = 0;
            while (i < arrays.size()) {
                int j = i;
                long bytes = 0;
                NDList flat = new NDList();
                while (j < arrays.size() && (j == i || bytes + nbytes(arrays.get(j))
                        <= CollectiveGradientSync.BUCKET_BYTES)) {
                    bytes += nbytes(arrays.get(j));
                    NDArray view = arrays.get(j).reshape(-1);
                    view.attach(tmp);
                    flat.add(view);
                    j++;
                }
                NDArray bucket = flat.size() == 1 ? flat.get(0).duplicate() : NDArrays.concat(flat);
                bucket.attach(tmp);
                if (average) {
                    device.allReduce(PyTorchInternals.memory(bucket), ElementType.FLOAT32, ReduceOp.AVG);
                } else {
                    device.broadcast(PyTorchInternals.memory(bucket), 0);
                }
                device.synchronize();
                long off = 0;
                for (int k = i; k < j; k++) {
                    NDArray target = arrays.get(k);
                    long n = target.size();
                    NDArray part = bucket.get(new NDIndex(off + ":" + (off + n))).reshape(target.getShape());
                    part.attach(tmp);
                    target.set(new NDIndex(":"), part);
                    off += n;
                }
                i = j;
            }
        } finally {
            PyTorchInternals.setGradMode(grad);
        }
    }

    private static long nbytes(NDArray a) {
        return a.size() * a.getDataType().getNumOfBytes();
    }

    @Override
    public double[] averageScalars(double[] values) throws Exception {
        return host.averageScalars(values);
    }

    @Override
    public void close() {
        host.close();
        device.close();
    }
}
