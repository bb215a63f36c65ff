package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.optim.AdamW;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Param;
import dev.sluice.engine.optim.Sgd;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * The pieces of a data-parallel step below the Worker, shared by the in-process tests and the
 * second process ({@link DataParallelPeer}): deterministic batches, replicas of a small MLP,
 * optimizers by name, one training step, and parameter snapshots.
 */
final class DataParallelFixture {

    static final int CHANNELS = 1;
    static final int SIDE = 8;
    static final int CLASSES = 10;
    /** Samples per replica per step in the two-replica runs; the single replica gets twice as many. */
    static final int HALF_BATCH = 8;
    static final int STEPS = 20;
    static final long DATA_SEED = 1234;

    private DataParallelFixture() {
    }

    /** One global batch of {@code 2 * HALF_BATCH} samples: random inputs and labels from a fixed seed. */
    record Samples(float[] inputs, long[] labels) {
        int size() {
            return labels.length;
        }
    }

    static Samples samples(int step) {
        Random rnd = new Random(DATA_SEED * 1_000 + step);
        int n = 2 * HALF_BATCH;
        int per = CHANNELS * SIDE * SIDE;
        float[] x = new float[n * per];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(CLASSES);
            for (int k = 0; k < per; k++) {
                // a weak class signal plus noise, so the loss actually moves
                x[i * per + k] = (float) (rnd.nextGaussian() * 0.5 + (k % CLASSES == y[i] ? 1.0 : 0.0));
            }
        }
        return new Samples(x, y);
    }

    /** Samples {@code from .. from+count-1} of a global batch as a batch on the replica's device. */
    static DeviceBatch batch(Replica r, Samples s, int from, int count) {
        int per = CHANNELS * SIDE * SIDE;
        NDManager m = r.manager().newSubManager();
        float[] x = new float[count * per];
        System.arraycopy(s.inputs(), from * per, x, 0, x.length);
        long[] y = new long[count];
        System.arraycopy(s.labels(), from, y, 0, count);
        NDArray inputs = m.create(x, new Shape(count, CHANNELS, SIDE, SIDE));
        NDArray labels = m.create(y, new Shape(count));
        return new DeviceBatch(inputs, labels, count, 0, 0, m);
    }

    /** A replica of the registry's MLP on the CPU, initialized from {@code initSeed}. */
    static Replica replica(int rank, long initSeed) {
        return replica(rank, initSeed, Device.cpu());
    }

    /** A replica of the registry's MLP on {@code device}, initialized from {@code initSeed}. */
    static Replica replica(int rank, long initSeed, Device device) {
        Engine.getInstance().setRandomSeed((int) initSeed);
        return new Replica(rank, device,
                ModelRegistry.builtIn().create("mlp", InputSpec.image("image", CHANNELS, SIDE, SIDE), CLASSES));
    }

    static Optimizer optimizer(String name) {
        return switch (name) {
            case "sgd" -> new Sgd(0.9f, false, 1e-4f);
            case "adamw" -> AdamW.withWeightDecay(0.01f);
            default -> throw new IllegalArgumentException("unknown optimizer " + name);
        };
    }

    static float lr(String optimizer) {
        return optimizer.equals("sgd") ? 0.05f : 0.001f;
    }

    /** What the Worker does per step: forward/backward, average gradients, update, zero gradients. */
    static void step(Replica r, DeviceBatch batch, GradientSync sync, Optimizer opt, float lr) throws Exception {
        try (batch) {
            Replica.StepOutput out = r.forwardBackward(batch);
            if (!Float.isFinite(out.loss())) {
                throw new AssertionError("loss " + out.loss() + " on rank " + r.rank());
            }
            sync.average(r.params());
            opt.step(r.params(), lr);
            r.zeroGradients();
        }
    }

    /**
     * Rank {@code r} of a two-replica run: starts from rank 0's parameters (broadcast, as the
     * Worker does), then trains on half {@code r} of every global batch.
     */
    static void trainHalf(Replica r, GradientSync sync, String optimizer) throws Exception {
        sync.broadcast(r.params());
        Optimizer opt = optimizer(optimizer);
        for (int s = 0; s < STEPS; s++) {
            step(r, batch(r, samples(s), r.rank() * HALF_BATCH, HALF_BATCH), sync, opt, lr(optimizer));
        }
    }

    /** The single replica on the whole global batch of every step. */
    static void trainWhole(Replica r, String optimizer) throws Exception {
        Optimizer opt = optimizer(optimizer);
        try (GradientSync none = GradientSync.none()) {
            for (int s = 0; s < STEPS; s++) {
                step(r, batch(r, samples(s), 0, 2 * HALF_BATCH), none, opt, lr(optimizer));
            }
        }
    }

    /** Copies every parameter's bytes from one replica to another (same architecture). */
    static void copyParameters(Replica from, Replica to) {
        List<Param> src = from.params();
        List<Param> dst = to.params();
        // through host copies (toByteBuffer/set), so it also works for GPU tensors
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            for (int i = 0; i < src.size(); i++) {
                ByteBuffer host = src.get(i).array().toByteBuffer();
                ByteBuffer direct = ByteBuffer.allocateDirect(host.remaining()).order(java.nio.ByteOrder.nativeOrder());
                direct.put(host).flip();
                dst.get(i).array().set(direct);
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
    }

    /** All parameters as float arrays, in block order. */
    static float[][] parameters(Replica r) {
        List<Param> ps = r.params();
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = ps.get(i).array().toFloatArray();
        }
        return out;
    }

    /** SHA-256 over every parameter's bytes, in block order: equal digests mean bit-identical replicas. */
    static String digest(Replica r) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Param p : r.params()) {
            md.update(p.array().toByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Per tensor, the largest element difference between two parameter sets relative to the
     * tensor's largest magnitude in {@code reference} (near-zero elements are judged at the tensor's
     * scale, as a relative tolerance on the tensor).
     */
    static double[] relativeDifferences(float[][] reference, float[][] other) {
        double[] out = new double[reference.length];
        for (int t = 0; t < reference.length; t++) {
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < reference[t].length; i++) {
                scale = Math.max(scale, Math.abs(reference[t][i]));
                diff = Math.max(diff, Math.abs(reference[t][i] - other[t][i]));
            }
            out[t] = diff / Math.max(scale, Float.MIN_NORMAL);
        }
        return out;
    }
}
