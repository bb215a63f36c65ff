package dev.sluice.engine.train;

import dev.sluice.engine.device.GpuAssumptions;
import static dev.sluice.engine.train.DataParallelFixture.STEPS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.collective.NcclCollective;
import dev.sluice.engine.device.Devices;
import dev.sluice.nccl.NcclLoadOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The equivalence of {@link DataParallelEquivalenceTest} on two GPUs: replicas on {@code gpu(0)} and
 * {@code gpu(1)}, gradients averaged on the devices through {@link DeviceGradientSync} and NCCL, against
 * one replica on {@code gpu(0)} with the whole batch. Runs only where DJL's PyTorch engine has CUDA
 * (its CUDA natives on the classpath), two GPUs are visible and NCCL loads ({@code SLUICE_NCCL_LIB} may
 * name libnccl.so.2); skipped otherwise.
 */
class DataParallelGpuEquivalenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adamw"})
    void twoGpusWithHalfBatchesEqualOneGpuWithTheWholeBatch(String optimizer) throws Exception {
        GpuAssumptions.gpus(2);
        int gpus;
        try {
            gpus = Devices.djlGpuCount();
        } catch (RuntimeException | LinkageError e) {
            gpus = 0;
        }
        int djlGpus = gpus;
        GpuAssumptions.assume(djlGpus >= 2, () -> "needs DJL with CUDA and two GPUs (DJL sees " + djlGpus + ")");
        String lib = System.getenv("SLUICE_NCCL_LIB");
        NcclLoadOptions options = lib == null ? NcclLoadOptions.defaults()
                : NcclLoadOptions.defaults().withNcclLibrary(Path.of(lib));
        GpuAssumptions.assume(NcclCollective.availability(options).available(),
                () -> NcclCollective.availability(options).message());
        List<NcclCollective> nccl = NcclCollective.local(options, Duration.ofSeconds(60), 0, 1);
        InProcessGroup scalars = new InProcessGroup(2, Duration.ofSeconds(60));
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Replica single = DataParallelFixture.replica(0, 7, Device.gpu(0));
             Replica r0 = DataParallelFixture.replica(0, 11, Device.gpu(0));
             Replica r1 = DataParallelFixture.replica(1, 13, Device.gpu(1));
             GradientSync s0 = new DeviceGradientSync(nccl.get(0), new CollectiveGradientSync(scalars.member(0)));
             GradientSync s1 = new DeviceGradientSync(nccl.get(1), new CollectiveGradientSync(scalars.member(1)))) {
            List<Future<Void>> ranks = new ArrayList<>();
            ranks.add(threads.submit(() -> {
                DataParallelFixture.trainHalf(r0, s0, optimizer);
                return null;
            }));
            ranks.add(threads.submit(() -> {
                DataParallelFixture.trainHalf(r1, s1, optimizer);
                return null;
            }));
            for (Future<Void> f : ranks) {
                f.get(300, TimeUnit.SECONDS);
            }
            // the single replica starts from rank 0's initial parameters, as in the CPU test
            Replica start = DataParallelFixture.replica(0, 11, Device.gpu(0));
            DataParallelFixture.copyParameters(start, single);
            start.close();
            DataParallelFixture.trainWhole(single, optimizer);
            assertEquals(DataParallelFixture.digest(r0), DataParallelFixture.digest(r1),
                    "replicas on two GPUs stay bit-identical after " + STEPS + " steps");
            double difference = Arrays.stream(DataParallelFixture.relativeDifferences(
                    DataParallelFixture.parameters(single), DataParallelFixture.parameters(r0))).max().orElseThrow();
            assertTrue(difference <= DataParallelEquivalenceTest.TOLERANCE, optimizer + ": differs by " + difference);
        } finally {
            threads.shutdownNow();
            nccl.forEach(NcclCollective::close);
            scalars.members().forEach(c -> c.close());
        }
    }
}
