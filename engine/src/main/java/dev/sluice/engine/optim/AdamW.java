package dev.sluice.engine.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter):
 * {@code m = b1*m + (1-b1)g; v = b2*v + (1-b2)g^2; w -= lr*wd*w; w -= lr * mhat / (sqrt(vhat) + eps)}
 * with bias-corrected {@code mhat}, {@code vhat}.
 */
public final class AdamW implements Optimizer {

    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, NDArray> m1 = new LinkedHashMap<>();
    private final Map<String, NDArray> m2 = new LinkedHashMap<>();
    private long steps;

    public AdamW(float beta1, float beta2, float eps, float weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** The usual defaults: betas (0.9, 0.999), eps 1e-8. */
    public static AdamW withWeightDecay(float weightDecay) {
        return new AdamW(0.9f, 0.999f, 1e-8f, weightDecay);
    }

    @Override
    public void step(List<Param> params, float lr) {
        steps++;
        float bc1 = 1f - (float) Math.pow(beta1, steps);
        float bc2 = 1f - (float) Math.pow(beta2, steps);
        for (Param p : params) {
            NDArray w = p.array();
            try (NDManager tmp = w.getManager().newSubManager()) {
                NDArray g = p.grad();
                g.attach(tmp); // a fresh wrapper per call: free it with the step
                NDArray m = m1.get(p.name());
                NDArray v = m2.get(p.name());
                if (m == null) {
                    // owned by the parameter's manager: freed with the model
                    m = w.zerosLike();
                    v = w.zerosLike();
                    m1.put(p.name(), m);
                    m2.put(p.name(), v);
                }
                NDArray g1 = g.mul(1f - beta1);
                g1.attach(tmp);
                m.muli(beta1).addi(g1);
                NDArray g2 = g.square().muli(1f - beta2);
                g2.attach(tmp);
                v.muli(beta2).addi(g2);
                if (weightDecay != 0) {
                    w.muli(1f - lr * weightDecay);
                }
                NDArray vhat = v.div(bc2);
                vhat.attach(tmp);
                NDArray denom = vhat.sqrt().addi(eps);
                denom.attach(tmp);
                NDArray update = m.mul(lr / bc1).divi(denom);
                update.attach(tmp);
                w.subi(update);
            }
        }
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        m1.forEach((k, v) -> out.put(k + "/m", v));
        m2.forEach((k, v) -> out.put(k + "/v", v));
        return out;
    }

    @Override
    public void load(Map<String, NDArray> state) {
        state.forEach((k, v) -> {
            String name = k.substring(0, k.lastIndexOf('/'));
            (k.endsWith("/m") ? m1 : m2).put(name, v);
        });
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void restoreSteps(long s) {
        steps = s;
    }

    @Override
    public String describe() {
        return "adamw(b1=" + beta1 + ",b2=" + beta2 + ",eps=" + eps + ",wd=" + weightDecay + ")";
    }
}
