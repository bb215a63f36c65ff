package dev.sluice.engine.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Without a CUDA driver (this machine, CI) loading fails with one typed, explanatory exception. */
class TransformKernelsNoDriverTest {

    @Test
    void loadWithoutADriverThrowsDeviceUnavailableEveryTime() {
        // twice: the first failure is JCuda's UnsatisfiedLinkError, later ones NoClassDefFoundError
        for (int attempt = 0; attempt < 2; attempt++) {
            DeviceUnavailableException e;
            try {
                TransformKernels kernels = TransformKernels.load();
                kernels.close();
                Assumptions.abort("a CUDA driver and a current context are present: covered by TransformKernelsGpuTest");
                return;
            } catch (CudaCallException driverPresent) {
                Assumptions.abort("a CUDA driver is present (" + driverPresent.getMessage() + ")");
                return;
            } catch (DeviceUnavailableException unavailable) {
                e = unavailable;
            }
            assertTrue(e.getMessage().contains("CUDA is not available") || e.getMessage().contains("no usable GPU"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("CpuBatchTransform"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line, JCuda's nested stack traces stay in the cause");
            if (e.getMessage().contains("CUDA is not available")) {
                // one place says what the host lacks: the message carries the CUDA probe's reason
                assertTrue(e.getMessage().contains(CudaProbe.system().reason()), e.getMessage());
            }
        }
    }

    @Test
    void linkErrorsAreReducedToTheLineThatSaysWhy() {
        UnsatisfiedLinkError jcuda = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver\"\n"
                + "---(start of nested stack traces)---\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file: "
                + "No such file or directory\n\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n");
        assertEquals("/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                TransformKernels.describe(jcuda));
        NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        later.initCause(new ExceptionInInitializerError("Exception " + jcuda.getMessage()));
        assertEquals("/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                TransformKernels.describe(later));
        NoClassDefFoundError missingJar = new NoClassDefFoundError("jcuda/driver/JCudaDriver");
        missingJar.initCause(new ClassNotFoundException("jcuda.driver.JCudaDriver"));
        assertEquals("JCuda (org.jcuda:jcuda) is not on the classpath: jcuda.driver.JCudaDriver",
                TransformKernels.describe(missingJar));
        assertEquals("UnsatisfiedLinkError: something else", TransformKernels.describe(
                new UnsatisfiedLinkError("something else\nmore")));
    }
}
