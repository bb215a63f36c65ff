package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sluice.data.memory.DirectAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code --devices} parsing and device selection: on this machine (no NVIDIA driver) through the
 * real JCuda probe, and for GPU hosts through given probe results (GPUs with and without a
 * CUDA-enabled DJL).
 */
class DevicesTest {

    static final CudaProbe.Status TWO_GPUS = new CudaProbe.Status(List.of(
            new GpuInfo(0, "NVIDIA H100 80GB HBM3", 85L << 30, 9, 0, 3),
            new GpuInfo(1, "NVIDIA H100 80GB HBM3", 85L << 30, 9, 0, 3)), 12080, "");

    @Test
    void validSpecsParse() {
        assertEquals(new DeviceSpec(DeviceSpec.Kind.AUTO, 0, List.of()), DeviceSpec.parse("auto"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CPU, 1, List.of()), DeviceSpec.parse("cpu"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CPU, 4, List.of()), DeviceSpec.parse("CPU:4"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0, List.of()), DeviceSpec.parse("cuda"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0, List.of(0, 1)), DeviceSpec.parse("cuda:0,1"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0, List.of(3, 1)), DeviceSpec.parse(" cuda:3, 1 "));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0, List.of(2)), DeviceSpec.parse("gpu:2"));
        for (String s : List.of("auto", "cpu", "cpu:3", "cuda", "cuda:0,2")) {
            assertEquals(s, DeviceSpec.parse(s).toString(), "round trip");
        }
    }

    @Test
    void badSpecsSayWhatIsWrongAndWhatIsAccepted() {
        String[][] cases = {
            {"", "unknown device kind"},
            {"tpu", "unknown device kind"},
            {"cpu:0", "must be in [1, 1024]"},
            {"cpu:2000", "must be in [1, 1024]"},
            {"cpu:x", "'x' is not the number of CPU replicas"},
            {"cpu:", "'' is not the number of CPU replicas"},
            {"cpu:1,2", "'1,2' is not the number of CPU replicas"},
            {"cuda:", "no GPU index after the colon"},
            {"cuda:0,0", "GPU 0 is listed twice"},
            {"cuda:-1", "'-1' is not a GPU index"},
            {"cuda:0,", "'' is not a GPU index"},
            {"cuda:99999999999", "is not a GPU index"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(c[0]),
                    c[0]);
            assertTrue(e.getMessage().startsWith("--devices '" + c[0] + "' is not valid ("), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
            assertTrue(e.getMessage().endsWith("use auto, cpu, cpu:N (N CPU replicas), cuda (all GPUs) or cuda:0,1"
                    + " (those GPUs)"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(null));
    }

    @Test
    void thisMachineRunsOnTheCpuAndSaysSoOnce() {
        CudaProbe.Status status = CudaProbe.system();
        Assumptions.assumeFalse(status.available(), "a CUDA GPU is present: covered by the GPU tests");
        assertSame(status, CudaProbe.system(), "probed once per process");
        assertFalse(status.reason().isBlank());
        assertFalse(status.reason().contains("\n"), "one line: " + status.reason());

        List<String> notices = new ArrayList<>();
        Devices devices = new Devices(CudaProbe::system, () -> {
            throw new AssertionError("DJL is asked only when CUDA found GPUs");
        }, notices::add);
        for (int i = 0; i < 3; i++) {
            Devices.Selection s = devices.select("auto");
            assertFalse(s.cuda());
            assertEquals(1, s.replicas());
            assertEquals("no usable CUDA GPU: " + status.reason() + "; training continues on the CPU (1 replica)",
                    s.notice());
        }
        assertEquals(1, notices.size(), "said once: " + notices);
        assertFalse(notices.get(0).contains("\n"));

        List<ComputeDevice> opened = devices.open("auto");
        assertEquals(1, opened.size());
        assertEquals("cpu:0", opened.get(0).name());
        assertEquals(1, notices.size(), "still once");

        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> devices.open("cuda"));
        assertTrue(e.getMessage().startsWith("--devices cuda needs a CUDA GPU, but there is none usable: "
                + status.reason()), e.getMessage());
        assertTrue(e.getMessage().endsWith("use --devices cpu (or auto)"), e.getMessage());
        assertThrows(DeviceUnavailableException.class, () -> devices.open("cuda:1"));
    }

    @Test
    void cpuReplicasAreHostDevicesOnDjlsCpu() {
        List<String> notices = new ArrayList<>();
        Devices devices = new Devices(() -> TWO_GPUS, () -> 2, notices::add);
        List<ComputeDevice> cpus = devices.open("cpu:3");
        assertEquals(List.of("cpu:0", "cpu:1", "cpu:2"), cpus.stream().map(ComputeDevice::name).toList());
        for (ComputeDevice d : cpus) {
            assertEquals(Device.cpu(), d.djlDevice());
            assertFalse(d.isCuda());
            assertTrue(d.hostAllocator() instanceof DirectAllocator);
            assertFalse(d.hostAllocator().pinned());
            d.close();
        }
        assertTrue(notices.isEmpty(), "an explicit cpu choice needs no explanation");
    }

    @Test
    void gpusThatDjlCannotUseFallBackOnAutoAndFailWhenAskedFor() {
        List<String> notices = new ArrayList<>();
        AtomicInteger asked = new AtomicInteger();
        Devices devices = new Devices(() -> TWO_GPUS, () -> {
            asked.incrementAndGet();
            return 0;
        }, notices::add);
        Devices.Selection s = devices.select("auto");
        assertFalse(s.cuda());
        assertEquals(1, s.cpuReplicas());
        assertTrue(asked.get() > 0);
        assertEquals(1, notices.size());
        String n = notices.get(0);
        assertTrue(n.startsWith("found 2 CUDA GPU(s) (cuda:0 NVIDIA H100 80GB HBM3 (85.0 GiB, sm_90), cuda:1"), n);
        assertTrue(n.contains("but DJL's PyTorch engine has no CUDA: it loaded the libtorch in "), n);
        // the message says exactly what to install, which variables to set and how to check
        assertTrue(n.contains("pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu128"), n);
        assertTrue(n.contains("PYTORCH_LIBRARY_PATH=") && n.contains("PYTORCH_VERSION=2.7.1")
                && n.contains("PYTORCH_FLAVOR=cu128"), n);
        assertTrue(n.contains("torch.cuda.is_available()"), n);
        assertTrue(n.endsWith("training continues on the CPU (1 replica)"), n);

        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> devices.select("cuda:1"));
        assertTrue(e.getMessage().startsWith("--devices cuda:1: found 2 CUDA GPU(s)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use --devices cpu (or auto)"), e.getMessage());
    }

    @Test
    void usableGpusAreSelectedByAutoAndByIndex() {
        List<String> notices = new ArrayList<>();
        Devices devices = new Devices(() -> TWO_GPUS, () -> 2, notices::add);
        Devices.Selection auto = devices.select("auto");
        assertEquals(List.of(0, 1), auto.gpus());
        assertNull(auto.notice());
        assertEquals(List.of(0, 1), devices.select("cuda").gpus());
        assertEquals(List.of(1), devices.select("cuda:1").gpus());
        assertEquals(2, devices.select("cuda:1,0").replicas());
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> devices.select("cuda:0,2"));
        assertEquals("--devices cuda:0,2: there is no GPU 2; this host has 2 (cuda:0 NVIDIA H100 80GB HBM3 (85.0 GiB,"
                + " sm_90), cuda:1 NVIDIA H100 80GB HBM3 (85.0 GiB, sm_90)), numbered from 0", e.getMessage());
        assertTrue(notices.isEmpty());
    }

    @Test
    void withoutADriverCudaResourcesFailWithTheReasonNotALinkError() {
        CudaProbe.Status status = CudaProbe.system();
        Assumptions.assumeFalse(status.available(), "a CUDA GPU is present: covered by the GPU tests");
        DeviceUnavailableException pinned = assertThrows(DeviceUnavailableException.class, PinnedAllocator::create);
        assertTrue(pinned.getMessage().contains(status.reason()), pinned.getMessage());
        assertTrue(pinned.getMessage().contains("use DirectAllocator"), pinned.getMessage());
        DeviceUnavailableException gpu = assertThrows(DeviceUnavailableException.class, () -> CudaDevice.open(0));
        assertEquals("cuda:0 is not usable: " + status.reason() + "; use --devices cpu", gpu.getMessage());
        // a fresh probe (JCuda already failed once in this JVM) still reports, never throws
        assertFalse(CudaProbe.probe().available());
    }

    @Test
    void linkErrorsAreReducedToTheLineThatSaysWhy() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"JCudaRuntime\"\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaRuntime.so: libcuda.so.1: cannot open shared object file:"
                + " No such file or directory\n\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)");
        assertEquals("/tmp/libJCudaRuntime.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                CudaProbe.firstLine(e));
        assertEquals("NoClassDefFoundError: Could not initialize class jcuda.runtime.JCuda",
                CudaProbe.firstLine(new NoClassDefFoundError("Could not initialize class jcuda.runtime.JCuda")));
        assertTrue(CudaProbe.reasonFor(35).startsWith("no NVIDIA driver was found"));
        assertTrue(CudaProbe.reasonFor(100).contains("CUDA_VISIBLE_DEVICES"));
    }
}
