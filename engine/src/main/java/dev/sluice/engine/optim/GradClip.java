package dev.sluice.engine.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** Gradient clipping by global L2 norm, as in PyTorch's {@code clip_grad_norm_}. */
public final class GradClip {

    private GradClip() {}

    /**
     * Scales all gradients by {@code maxNorm / norm} when their global norm exceeds {@code maxNorm}.
     *
     * @return the global norm before clipping
     */
    public static double clip(List<Param> params, float maxNorm) {
        double sq = 0;
        if (params.isEmpty()) {
            return 0;
        }
        try (NDManager tmp = params.get(0).array().getManager().newSubManager()) {
            NDArray[] grads = new NDArray[params.size()];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = params.get(i).grad();
                grads[i].attach(tmp);
                NDArray s = grads[i].square().sum();
                s.attach(tmp);
                sq += s.getFloat();
            }
            double norm = Math.sqrt(sq);
            if (maxNorm > 0 && norm > maxNorm) {
                float scale = (float) (maxNorm / (norm + 1e-6));
                for (NDArray g : grads) {
                    g.muli(scale);
                }
            }
            return norm;
        }
    }
}
