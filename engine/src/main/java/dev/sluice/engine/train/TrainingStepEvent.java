package dev.sluice.engine.train;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event for one training step of one replica, split as {@link StepTiming} splits an epoch:
 * waiting for data, host-to-device copy (and on-device transforms), compute, all-reduce. Recorded
 * only while a recording enables it ({@code java -XX:StartFlightRecording ...}); the step loop
 * builds it only then.
 */
@Name("dev.sluice.TrainingStep")
@Label("Training Step")
@Category({"Sluice", "Training"})
@Description("Where one training step's time went")
@StackTrace(false)
final class TrainingStepEvent extends jdk.jfr.Event {

    private static final TrainingStepEvent PROBE = new TrainingStepEvent();

    @Label("Epoch")
    int epoch;

    @Label("Step")
    long step;

    @Label("Replica")
    int replica;

    @Label("Data Wait")
    @Timespan(Timespan.NANOSECONDS)
    long dataWait;

    @Label("Host To Device")
    @Timespan(Timespan.NANOSECONDS)
    long hostToDevice;

    @Label("Compute")
    @Timespan(Timespan.NANOSECONDS)
    long compute;

    @Label("All-Reduce")
    @Timespan(Timespan.NANOSECONDS)
    long allReduce;

    /** Records one step if a recording wants it; nothing is allocated otherwise. */
    static void emit(int epoch, long step, int replica, long dataWaitNanos, long hostToDeviceNanos,
            long computeNanos, long allReduceNanos) {
        if (!PROBE.isEnabled()) {
            return;
        }
        TrainingStepEvent e = new TrainingStepEvent();
        e.epoch = epoch;
        e.step = step;
        e.replica = replica;
        e.dataWait = dataWaitNanos;
        e.hostToDevice = hostToDeviceNanos;
        e.compute = computeNanos;
        e.allReduce = allReduceNanos;
        e.commit();
    }
}
