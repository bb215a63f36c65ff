package dev.sluice.engine.device;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs test classes where there is no Maven (the GPU kit): one line per test with its outcome and
 * skip reason or failure, then {@code tests=N passed=P skipped=S failed=F}. Exit status 0 when
 * nothing failed and at least one test ran, 1 otherwise.
 *
 * <pre>{@code java -Dsluice.requireGpu=true -cp ... dev.sluice.engine.device.GpuTestLauncher dev.sluice.nccl.NcclGpuTest}</pre>
 */
public final class GpuTestLauncher {

    private GpuTestLauncher() {}

    public static void main(String[] args) throws ClassNotFoundException {
        List<org.junit.platform.engine.DiscoverySelector> selectors = new ArrayList<>();
        for (String name : args) {
            selectors.add(selectClass(Class.forName(name)));
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest() || id.isContainer() && id.getSource().isPresent()) {
                    skipped.incrementAndGet();
                    System.out.println("SKIPPED " + id.getDisplayName() + ": " + reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                Optional<Throwable> t = result.getThrowable();
                String why = t.map(e -> ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")).orElse("");
                switch (result.getStatus()) {
                    case SUCCESSFUL -> {
                        if (id.isTest()) {
                            passed.incrementAndGet();
                            System.out.println("PASSED  " + id.getDisplayName());
                        }
                    }
                    case ABORTED -> {
                        skipped.incrementAndGet();
                        System.out.println("SKIPPED " + id.getDisplayName() + why);
                    }
                    case FAILED -> {
                        failed.incrementAndGet();
                        System.out.println("FAILED  " + id.getDisplayName() + why);
                        t.ifPresent(e -> e.printStackTrace(System.out));
                    }
                }
            }
        });
        int total = passed.get() + skipped.get() + failed.get();
        System.out.println("tests=" + total + " passed=" + passed + " skipped=" + skipped + " failed=" + failed);
        System.exit(failed.get() == 0 && total > 0 ? 0 : 1);
    }
}
