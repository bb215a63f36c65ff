package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sluice.engine.checkpoint.Checkpoint;
import dev.sluice.engine.checkpoint.CheckpointException;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.optim.Optimizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.sluice.engine.optim.Param;
import dev.sluice.models.BuiltModel;
import java.util.ArrayList;
import java.util.List;

/**
 * One model replica on one device: its own parameters, forward and backward on its own batches.
 * Autograd is driven through {@link PyTorchInternals} because DJL's gradient collector allows only
 * one collector per JVM, and every replica thread needs its own.
 */
final class Replica implements AutoCloseable {

    private final int rank;
    private final Device device;
    private final NDManager manager;
    private final BuiltModel model;
    private final ParameterStore store;
    private final List<Param> params = new ArrayList<>();
    private final List<Param> buffers = new ArrayList<>();
    private final Loss loss = Loss.softmaxCrossEntropyLoss();

    Replica(int rank, Device device, BuiltModel model) {
        this.rank = rank;
        this.device = device;
        this.model = model;
        this.manager = NDManager.newBaseManager(device);
        model.initialize(manager);
        for (Pair<String, Parameter> p : model.block().getParameters()) {
            NDArray a = p.getValue().getArray();
            if (p.getValue().requiresGradient()) {
                a.setRequiresGradient(true);
                params.add(new Param(p.getKey(), a));
            } else {
                buffers.add(new Param(p.getKey(), a));
            }
        }
        this.store = new ParameterStore(manager, false);
    }

    int rank() {
        return rank;
    }

    Device device() {
        return device;
    }

    NDManager manager() {
        return manager;
    }

    BuiltModel model() {
        return model;
    }

    /** Bytes of the parameters and buffers. */
    long stateBytes() {
        long n = 0;
        for (List<Param> group : List.of(params, buffers)) {
            for (Param p : group) {
                n += p.array().size() * p.array().getDataType().getNumOfBytes();
            }
        }
        return n;
    }

    /** Trainable parameters in block order (the same order on every replica). */
    List<Param> params() {
        return params;
    }

    /** Non-trainable state such as batch-norm running statistics. */
    List<Param> buffers() {
        return buffers;
    }

    /** Loss and correct predictions of one forward/backward pass. */
    record StepOutput(float loss, long correct) {}

    /** Forward and backward on one batch; gradients are left on the parameters. */
    StepOutput forwardBackward(DeviceBatch batch) {
        PyTorchInternals.setGradMode(true);
        try {
            NDList out = model.block().forward(store, new NDList(batch.inputs()), true);
            NDArray logits = out.singletonOrThrow();
            NDArray l = loss.evaluate(new NDList(batch.labels()), out);
            NDArray seed = batch.manager().ones(l.getShape(), l.getDataType());
            PyTorchInternals.backward(l, seed);
            PyTorchInternals.setGradMode(false);
            long correct = logits.argMax(1).eq(batch.labels()).countNonzero().getLong();
            return new StepOutput(l.getFloat(), correct);
        } finally {
            PyTorchInternals.setGradMode(false);
        }
    }

    /** Forward only, for evaluation: summed loss and correct predictions. */
    StepOutput evaluate(DeviceBatch batch) {
        PyTorchInternals.setGradMode(false);
        NDList out = model.block().forward(store, new NDList(batch.inputs()), false);
        NDArray logits = out.singletonOrThrow();
        float sum = loss.evaluate(new NDList(batch.labels()), out).getFloat() * batch.size();
        long correct = logits.argMax(1).eq(batch.labels()).countNonzero().getLong();
        return new StepOutput(sum, correct);
    }

    /** Sets every gradient to zero (also NaN ones) after an update or a skipped batch. */
    void zeroGradients() {
        for (Param p : params) {
            PyTorchInternals.zeroGrad(p.array());
        }
    }

    /** Parameters, buffers and optimizer state as checkpoint tensors (copied to host memory). */
    Map<String, Checkpoint.Tensor> exportTensors(Optimizer optimizer) {
        Map<String, Checkpoint.Tensor> out = new LinkedHashMap<>();
        for (Param p : params) {
            out.put("param/" + p.name(), tensor(p.array()));
        }
        for (Param p : buffers) {
            out.put("buffer/" + p.name(), tensor(p.array()));
        }
        for (Map.Entry<String, NDArray> e : optimizer.state().entrySet()) {
            out.put("opt/" + e.getKey(), tensor(e.getValue()));
        }
        return out;
    }

    private static Checkpoint.Tensor tensor(NDArray a) {
        ByteBuffer src = a.toByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(src.duplicate()).flip();
        List<Long> shape = new ArrayList<>();
        for (long d : a.getShape().getShape()) {
            shape.add(d);
        }
        return new Checkpoint.Tensor(a.getDataType().toString(), shape, copy);
    }

    /**
     * Loads parameters, buffers and optimizer state from a checkpoint.
     *
     * @throws CheckpointException if a tensor is missing or has another shape (another model)
     */
    void importTensors(Checkpoint cp, Optimizer optimizer, String where) throws CheckpointException {
        PyTorchInternals.setGradMode(false);
        for (List<Param> group : List.of(params, buffers)) {
            String prefix = group == params ? "param/" : "buffer/";
            for (Param p : group) {
                Checkpoint.Tensor t = cp.tensors().get(prefix + p.name());
                if (t == null || t.data().limit() != p.array().size() * p.array().getDataType().getNumOfBytes()) {
                    throw new CheckpointException(where + ": " + (t == null ? "has no tensor " : "has another shape for ")
                            + prefix + p.name() + "; it was saved from another model");
                }
                p.array().set(direct(t.data()));
            }
        }
        Map<String, NDArray> state = new LinkedHashMap<>();
        for (Map.Entry<String, Checkpoint.Tensor> e : cp.tensors().entrySet()) {
            if (e.getKey().startsWith("opt/")) {
                Checkpoint.Tensor t = e.getValue();
                long[] shape = t.shape().stream().mapToLong(Long::longValue).toArray();
                NDArray a = manager.create(direct(t.data()), new Shape(shape), DataType.FLOAT32);
                state.put(e.getKey().substring(4), a.duplicate());
                a.close();
            }
        }
        optimizer.load(state);
        optimizer.restoreSteps(cp.optimizerSteps());
    }

    private static ByteBuffer direct(ByteBuffer heap) {
        ByteBuffer d = ByteBuffer.allocateDirect(heap.remaining()).order(ByteOrder.nativeOrder());
        d.put(heap.duplicate()).flip();
        return d;
    }

    @Override
    public void close() {
        manager.close();
    }
}
