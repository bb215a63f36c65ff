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
 * The optimizers, clipping and the schedule against values worked by hand from PyTorch's documented
 * update rules, over several steps with a fixed gradient sequence.
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

    // Expected values below are worked by hand from PyTorch's documented update rules
    // (torch.optim.SGD and torch.optim.AdamW, "Algorithm" sections), with W0 = {0.5, -1, 2} and the
    // gradients GRADS = {0.1, -0.2, 0.3}, {-0.4, 0.5, 0.1}, {0.2, 0.2, -0.6}. The comments show the
    // arithmetic for element 0; elements 1 and 2 follow the same steps. They are not recomputed
    // with the implementation's formulas.

    @Test
    void sgdWithMomentumAndWeightDecay() {
        // SGD, lr 0.1, momentum 0.9, dampening 0, weight decay 0.01:
        //   g = grad + 0.01 w;  b = g (step 1), b = 0.9 b + g (later);  w = w - 0.1 b
        // step 1: g = 0.1 + 0.01*0.5 = 0.105;            b = 0.105;
        //         w = 0.5 - 0.1*0.105 = 0.4895
        // step 2: g = -0.4 + 0.01*0.4895 = -0.395105;    b = 0.9*0.105 - 0.395105 = -0.300605;
        //         w = 0.4895 + 0.0300605 = 0.5195605
        // step 3: g = 0.2 + 0.01*0.5195605 = 0.205195605; b = 0.9*-0.300605 + 0.205195605 = -0.065348895;
        //         w = 0.5195605 + 0.0065348895 = 0.5260953895
        assertClose(new double[] {0.5260953895, -1.055220779, 1.948613568}, run(new Sgd(0.9f, false, 0.01f), 0.1f));
    }

    @Test
    void sgdWithNesterovMomentum() {
        // SGD, lr 0.05, momentum 0.9, nesterov, no weight decay:
        //   b = g (step 1), b = 0.9 b + g (later);  w = w - 0.05 (g + 0.9 b)
        // step 1: b = 0.1;                    g + 0.9 b = 0.1 + 0.09 = 0.19;     w = 0.5 - 0.0095 = 0.4905
        // step 2: b = 0.09 - 0.4 = -0.31;     g + 0.9 b = -0.4 - 0.279 = -0.679; w = 0.4905 + 0.03395 = 0.52445
        // step 3: b = -0.279 + 0.2 = -0.079;  g + 0.9 b = 0.2 - 0.0711 = 0.1289; w = 0.52445 - 0.006445 = 0.518005
        assertClose(new double[] {0.518005, -1.05236, 1.991865}, run(new Sgd(0.9f, true, 0f), 0.05f));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0f, true, 0f));
    }

    @Test
    void adamWWithDecoupledWeightDecay() {
        // AdamW, lr 0.01, betas (0.9, 0.999), eps 1e-8, weight decay 0.1:
        //   w = w (1 - 0.01*0.1);  m = 0.9 m + 0.1 g;  v = 0.999 v + 0.001 g^2;
        //   w = w - 0.01 (m / (1 - 0.9^t)) / (sqrt(v / (1 - 0.999^t)) + 1e-8)
        // step 1: w = 0.5*0.999 = 0.4995; m = 0.01; v = 1e-5; m^ = 0.01/0.1 = 0.1; v^ = 1e-5/0.001 = 0.01;
        //         w = 0.4995 - 0.01*0.1/(0.1 + 1e-8) = 0.489500001 (a first step moves by about lr)
        // step 2: w = 0.489500001*0.999 = 0.489010501; m = 0.009 - 0.04 = -0.031;
        //         v = 0.00000999 + 0.001*0.16 = 0.00016999; m^ = -0.031/0.19 = -0.1631578947;
        //         v^ = 0.00016999/0.001999 = 0.0850375188, sqrt = 0.2916119; w = 0.489010501 + 0.0055950355
        //         = 0.4946055365 (0.4946055357 unrounded)
        // step 3: w = 0.4946055357*0.999 = 0.4941109302; m = -0.0279 + 0.02 = -0.0079;
        //         v = 0.00016982001 + 0.00004 = 0.00020982001; m^ = -0.0079/0.271 = -0.0291512915;
        //         v^ = 0.00020982001/0.002997001 = 0.0700099900, sqrt = 0.2645940; w = 0.4941109302
        //         + 0.0011017366 = 0.4952126668
        AdamW opt = AdamW.withWeightDecay(0.1f);
        assertClose(new double[] {0.4952126668, -0.9968701497, 1.9778393967}, run(opt, 0.01f));
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
