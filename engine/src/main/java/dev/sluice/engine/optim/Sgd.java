package dev.sluice.engine.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and coupled L2 weight
 * decay: {@code g += wd*w; v = m*v + g; w -= lr * (nesterov ? g + m*v : v)}.
 */
public final class Sgd implements Optimizer {

    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final Map<String, NDArray> velocity = new LinkedHashMap<>();
    private long steps;

    public Sgd(float momentum, boolean nesterov, float weightDecay) {
        if (nesterov && momentum <= 0) {
            throw new IllegalArgumentException("Nesterov momentum needs --momentum > 0");
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(List<Param> params, float lr) {
        for (Param p : params) {
            NDArray w = p.array();
            try (NDManager tmp = w.getManager().newSubManager()) {
                NDArray g = p.grad();
                g.attach(tmp); // a fresh wrapper per call: free it with the step
                if (weightDecay != 0) {
                    // w.mul would belong to w's manager (the model's, never closed during training)
                    NDArray decay = w.mul(weightDecay);
                    decay.attach(tmp);
                    g = g.add(decay);
                }
                NDArray update = g;
                if (momentum != 0) {
                    NDArray v = velocity.get(p.name());
                    if (v == null) {
                        // owned by the parameter's manager: freed with the model
                        v = g.duplicate();
                        v.attach(w.getManager());
                        velocity.put(p.name(), v);
                    } else {
                        v.muli(momentum).addi(g);
                    }
                    if (nesterov) {
                        NDArray ahead = v.mul(momentum); // v belongs to the model's manager
                        ahead.attach(tmp);
                        update = g.add(ahead);
                    } else {
                        update = v;
                    }
                }
                NDArray scaled = update.mul(lr);
                scaled.attach(tmp);
                w.subi(scaled);
            }
        }
        steps++;
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        velocity.forEach((k, v) -> out.put(k + "/momentum", v));
        return out;
    }

    @Override
    public void load(Map<String, NDArray> state) {
        state.forEach((k, v) -> velocity.put(k.substring(0, k.lastIndexOf('/')), v));
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
        return "sgd(momentum=" + momentum + (nesterov ? ",nesterov" : "") + ",wd=" + weightDecay + ")";
    }
}
