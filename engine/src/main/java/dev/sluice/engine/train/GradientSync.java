package dev.sluice.engine.train;

import dev.sluice.engine.optim.Param;
import java.util.List;

/**
 * Averages gradients across replicas after backward and before the update. One instance per
 * replica; the call is collective: every replica calls it once per step.
 */
interface GradientSync extends AutoCloseable {

    /** Replaces each gradient by the mean over replicas; returns the time spent, in nanoseconds. */
    long average(List<Param> params) throws Exception;

    /** Makes every replica's tensors equal to rank 0's (initial parameters, batch-norm statistics). */
    void broadcast(List<Param> tensors) throws Exception;

    /** Mean over replicas of a few scalars (loss, accuracy counts), e.g. for logging. */
    double[] averageScalars(double[] values) throws Exception;

    @Override
    void close();

    /** The parameters' gradients, their wrappers owned by {@code tmp} (DJL makes a new one per call). */
    static List<ai.djl.ndarray.NDArray> gradients(List<Param> params, ai.djl.ndarray.NDManager tmp) {
        List<ai.djl.ndarray.NDArray> out = new java.util.ArrayList<>(params.size());
        for (Param p : params) {
            ai.djl.ndarray.NDArray g = p.grad();
            g.attach(tmp);
            out.add(g);
        }
        return out;
    }

    /** The single-replica case: nothing to average. */
    static GradientSync none() {
        return new GradientSync() {
            @Override
            public long average(List<Param> params) {
                return 0;
            }

            @Override
            public void broadcast(List<Param> tensors) {
                // one replica: already equal to itself
            }

            @Override
            public double[] averageScalars(double[] values) {
                return values;
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }
}
