package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.optim.Param;
import dev.sluice.models.BuiltModel;
import java.util.ArrayList;
import java.util.List;

/**
 * One model replica on one device: its own parameters, forward and backward on its own batches.
 * Autograd is driven through PyTorch's JNI directly because DJL's gradient collector allows only
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
        JniUtils.setGradMode(true);
        try {
            NDList out = model.block().forward(store, new NDList(batch.inputs()), true);
            NDArray logits = out.singletonOrThrow();
            NDArray l = loss.evaluate(new NDList(batch.labels()), out);
            NDArray seed = batch.manager().ones(l.getShape(), l.getDataType());
            JniUtils.backward((PtNDArray) l, (PtNDArray) seed, false, false);
            JniUtils.setGradMode(false);
            long correct = logits.argMax(1).eq(batch.labels()).countNonzero().getLong();
            return new StepOutput(l.getFloat(), correct);
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    /** Forward only, for evaluation: summed loss and correct predictions. */
    StepOutput evaluate(DeviceBatch batch) {
        JniUtils.setGradMode(false);
        NDList out = model.block().forward(store, new NDList(batch.inputs()), false);
        NDArray logits = out.singletonOrThrow();
        float sum = loss.evaluate(new NDList(batch.labels()), out).getFloat() * batch.size();
        long correct = logits.argMax(1).eq(batch.labels()).countNonzero().getLong();
        return new StepOutput(sum, correct);
    }

    /** Sets every gradient to zero after an update. */
    void zeroGradients() {
        try (NDManager tmp = manager.newSubManager()) {
            for (Param p : params) {
                NDArray g = p.grad();
                g.attach(tmp);
                g.muli(0);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
