package dev.sluice.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The optimizers, clipping and the schedule against updates computed by hand in double precision,
 * over several steps with a fixed gradient sequence.
 */
class OptimizerTest {

    static final float[] W0 = {0.5f, -1.0f, 2.0f};
    static final float[][] GRADS = {{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.1f}, {0.2f, 0.2f, -0.6f}};

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A parameter whose gradient is set to {@code g} (loss = sum(w * g) has gradient g). */
    Param param(float[] w) {
        NDArray a = manager.create(w.clone(), new Shape(w.length));
        a.setRequiresGradient(true);
        return new Param("w", a);
    }

    static void setGradient(Param p, float[] g) {
        JniUtils.zeroGrad((PtNDArray) p.array());
        JniUtils.setGradMode(true);
        try (NDManager tmp = p.array().getManager().newSubManager()) {
            NDArray coeff = tmp.create(g);
            // coeff first: the product and the sum belong to tmp, not to the parameter's manager
            NDArray loss = coeff.mul(p.array()).sum();
            JniUtils.backward((PtNDArray) loss, (PtNDArray) tmp.ones(loss.getShape()), false, false);
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    float[] run(Optimizer opt, float lr) {
        Param p = param(W0);
        for (float[] g : GRADS) {
            setGradient(p, g);
            opt.step(List.of(p), lr);
        }
        return p.array().toFloatArray();
    }

    static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void sgdWithMomentumAndWeightDecay() {
        double m = 0.9;
        double wd = 0.01;
        double lr = 0.1;
        double[] w = {W0[0], W0[1], W0[2]};
        double[] v = new double[3];
        for (int s = 0; s < GRADS.length; s++) {
            for (int i = 0; i < 3; i++) {
                double g = GRADS[s][i] + wd * w[i];
                v[i] = s == 0 ? g : m * v[i] + g;
                w[i] -= lr * v[i];
            }
        }
        assertClose(w, run(new Sgd(0.9f, false, 0.01f), 0.1f));
    }

    @Test
    void sgdWithNesterovMomentum() {
        double m = 0.9;
        double lr = 0.05;
        double[] w = {W0[0], W0[1], W0[2]};
        double[] v = new double[3];
        for (int s = 0; s < GRADS.length; s++) {
            for (int i = 0; i < 3; i++) {
                double g = GRADS[s][i];
                v[i] = s == 0 ? g : m * v[i] + g;
                w[i] -= lr * (g + m * v[i]);
            }
        }
        assertClose(w, run(new Sgd(0.9f, true, 0f), 0.05f));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0f, true, 0f));
    }

    @Test
    void adamWWithDecoupledWeightDecay() {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double wd = 0.1;
        double lr = 0.01;
        double[] w = {W0[0], W0[1], W0[2]};
        double[] m = new double[3];
        double[] v = new double[3];
        for (int s = 0; s < GRADS.length; s++) {
            int t = s + 1;
            for (int i = 0; i < 3; i++) {
                double g = GRADS[s][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                w[i] *= 1 - lr * wd;
                double mhat = m[i] / (1 - Math.pow(b1, t));
                double vhat = v[i] / (1 - Math.pow(b2, t));
                w[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
            }
        }
        AdamW opt = AdamW.withWeightDecay(0.1f);
        assertClose(w, run(opt, 0.01f));
        assertEquals(3, opt.steps());
        assertEquals(2, opt.state().size(), "first and second moments");
    }

    @Test
    void optimizerStateRoundTripsThroughLoad() {
        AdamW a = AdamW.withWeightDecay(0f);
        Param p = param(W0);
        setGradient(p, GRADS[0]);
        a.step(List.of(p), 0.01f);
        AdamW b = AdamW.withWeightDecay(0f);
        java.util.Map<String, NDArray> copy = new java.util.LinkedHashMap<>();
        a.state().forEach((k, v) -> copy.put(k, v.duplicate()));
        b.load(copy);
        b.restoreSteps(a.steps());
        Param q = param(p.array().toFloatArray());
        setGradient(p, GRADS[1]);
        setGradient(q, GRADS[1]);
        a.step(List.of(p), 0.01f);
        b.step(List.of(q), 0.01f);
        assertArrayEquals(p.array().toFloatArray(), q.array().toFloatArray(), "a restored optimizer continues exactly");
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        Param a = param(new float[] {0, 0});
        Param b = param(new float[] {0});
        setGradient(a, new float[] {3, 0});
        setGradient(b, new float[] {4});
        double norm = GradClip.clip(List.of(a, b), 1f);
        assertEquals(5.0, norm, 1e-6);
        try (NDManager tmp = manager.newSubManager()) {
            NDArray ga = a.grad();
            NDArray gb = b.grad();
            ga.attach(tmp);
            gb.attach(tmp);
            assertArrayEquals(new float[] {0.6f, 0f}, ga.toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0.8f}, gb.toFloatArray(), 1e-5f);
        }
        assertEquals(1.0, GradClip.clip(List.of(a, b), 10f), 1e-5, "below the limit: unchanged");
    }

    @Test
    void stepsLeaveNothingOnTheParametersManager() {
        List<Optimizer> optimizers = List.of(new Sgd(0f, false, 0.01f), new Sgd(0.9f, false, 0.01f),
                new Sgd(0.9f, true, 0.01f), AdamW.withWeightDecay(0.1f));
        for (Optimizer opt : optimizers) {
            Param p = param(W0);
            setGradient(p, GRADS[0]);
            opt.step(List.of(p), 0.1f); // creates the optimizer's state
            int held = manager.getManagedArrays().size();
            for (int s = 0; s < 5; s++) {
                setGradient(p, GRADS[s % GRADS.length]);
                GradClip.clip(List.of(p), 0.5f);
                opt.step(List.of(p), 0.1f);
            }
            // a training run takes millions of steps: one array per step and parameter is a leak
            assertEquals(held, manager.getManagedArrays().size(), opt.describe()
                    + " leaves arrays on the parameter's manager at every step");
        }
    }

    @Test
    void warmupThenCosine() {
        LrSchedule s = new LrSchedule(1f, 10, 110, true, 0f);
        assertEquals(0.1f, s.at(0), 1e-7);
        assertEquals(1f, s.at(9), 1e-7);
        assertEquals(1f, s.at(10), 1e-7);
        assertEquals(0.5f, s.at(60), 1e-6);
        assertEquals(0f, s.at(110), 1e-7);
        assertEquals(1f, new LrSchedule(1f, 0, 100, false, 0f).at(77), 0);
        assertEquals(0.1f, new LrSchedule(1f, 0, 100, true, 0.1f).at(100), 1e-7);
    }
}
