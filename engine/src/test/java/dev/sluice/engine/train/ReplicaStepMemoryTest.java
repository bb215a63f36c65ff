package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.optim.GradClip;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the Worker does per step (forward/backward, scalars and gradients through the collective,
 * clipping, an SGD update with momentum and weight decay, evaluation, the buffer broadcast) leaves
 * no array on the replica's manager, which lives as long as the run: every step's tensors belong
 * to the batch's manager or to short-lived sub-managers.
 */
class ReplicaStepMemoryTest {

    static final int SIDE = 28;

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn", "resnet18"})
    void aTrainingStepLeavesNothingOnTheModelsManager(String model) throws Exception {
        Engine.getInstance().setRandomSeed(1);
        try (Replica r = new Replica(0, Device.cpu(),
                ModelRegistry.builtIn().create(model, InputSpec.image("image", 1, SIDE, SIDE), 10));
             GradientSync sync = new CollectiveGradientSync(new InProcessGroup(1).member(0))) {
            Optimizer opt = DataParallelFixture.optimizer("sgd");
            Random rnd = new Random(3);
            int afterFirst = 0;
            for (int s = 0; s < 4; s++) {
                try (DeviceBatch b = batch(r, rnd, 4)) {
                    r.forwardBackward(b);
                    sync.averageScalars(new double[] {1, 0});
                    sync.average(r.params());
                    GradClip.clip(r.params(), 1f);
                    opt.step(r.params(), 0.01f);
                    r.zeroGradients();
                }
                try (DeviceBatch b = batch(r, rnd, 2)) {
                    r.evaluate(b);
                }
                sync.broadcast(r.buffers());
                if (s == 0) {
                    afterFirst = r.manager().getManagedArrays().size(); // the optimizer's state included
                }
            }
            assertEquals(afterFirst, r.manager().getManagedArrays().size(),
                    model + ": arrays left on the replica's manager by steps 2 to 4");
        }
    }

    private static DeviceBatch batch(Replica r, Random rnd, int n) {
        NDManager m = r.manager().newSubManager();
        float[] x = new float[n * SIDE * SIDE];
        long[] y = new long[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(10);
        }
        return new DeviceBatch(m.create(x, new Shape(n, 1, SIDE, SIDE)), m.create(y, new Shape(n)), n, 0, 0, m);
    }
}
