package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attention's gradients do not depend on when the garbage collector runs. Autograd keeps what a
 * multiplication needs for the backward pass; a scalar DJL made over a Java direct buffer (its
 * {@code mul(Number)}) was freed by a collection between forward and backward, and the gradients
 * then came out scaled by whatever lay in that memory: GPT losses that differed from run to run.
 */
class AttentionGradientTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void aCollectionBetweenForwardAndBackwardLeavesTheGradientsAlone() throws Exception {
        NDArray x = manager.randomNormal(new Shape(2, 6, 16));
        List<float[]> quiet = gradients(x, false);
        List<float[]> collected = gradients(x, true);
        assertTrue(quiet.stream().anyMatch(g -> g.length > 0 && g[0] != 0f), "the gradients are not all zero");
        for (int i = 0; i < quiet.size(); i++) {
            assertArrayEquals(quiet.get(i), collected.get(i), "gradient of parameter " + i);
        }
    }

    /** One forward and backward of a freshly initialized block (the same seed each time). */
    private List<float[]> gradients(NDArray x, boolean collectInBetween) throws InterruptedException {
        Engine.getInstance().setRandomSeed(7);
        CausalSelfAttention att = new CausalSelfAttention(16, 4);
        att.initialize(manager, DataType.FLOAT32, x.getShape());
        List<Parameter> params = att.getParameters().values();
        for (Parameter p : params) {
            p.getArray().setRequiresGradient(true);
        }
        ParameterStore ps = new ParameterStore(manager, false);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = att.forward(ps, new NDList(x), true).singletonOrThrow();
            NDArray loss = y.square().sum();
            if (collectInBetween) {
                collectAndReuseFreedMemory();
            }
            gc.backward(loss);
        }
        List<float[]> out = new ArrayList<>();
        for (Parameter p : params) {
            out.add(p.getArray().getGradient().toFloatArray());
        }
        return out;
    }

    /**
     * Whatever was closed during the forward pass is unreachable now: a full collection frees the
     * direct buffers behind it (their cleaners run on the reference handler thread, which also
     * enqueues the canary), and new small direct buffers take that memory again.
     */
    private static void collectAndReuseFreedMemory() throws InterruptedException {
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            PhantomReference<Object> canary = new PhantomReference<>(new Object(), queue);
            System.gc();
            queue.remove(5_000);
            canary.clear();
            for (int i = 0; i < 10_000; i++) {
                reuse.add(ByteBuffer.allocateDirect(4).putFloat(0, 1e6f));
            }
        }
        assertTrue(reuse.size() > 0);
    }
}
