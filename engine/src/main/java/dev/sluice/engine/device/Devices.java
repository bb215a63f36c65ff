package dev.sluice.engine.device;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@code --devices} value into the devices replicas run on. GPUs are used when CUDA finds
 * them (through JCuda, lazily: a host without the NVIDIA driver is simply a CPU host) AND DJL's
 * PyTorch engine can run on them; {@code auto} otherwise falls back to the CPU and says why once.
 * An explicit {@code cuda} that cannot be honoured is an error, never a silent fallback.
 *
 * <pre>{@code
 * List<ComputeDevice> devices = Devices.standard().open(options.devices);   // "auto", "cpu:2", "cuda:0,1"
 * }</pre>
 */
public final class Devices {

    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    // the notice is only given when --devices auto falls back to the CPU: what was asked for (auto) is
    // what happens, so it is information, not a warning (an explicit GPU request fails instead)
    private static final Devices STANDARD = new Devices(CudaProbe::system, Devices::djlGpuCount, LOG::info);

    /**
     * What a spec resolved to.
     *
     * @param spec the parsed request
     * @param gpus GPU ordinals to run on; empty for CPU
     * @param cpuReplicas CPU replicas when {@code gpus} is empty, else 0
     * @param notice why {@code auto} fell back to the CPU (one line), or null
     */
    public record Selection(DeviceSpec spec, List<Integer> gpus, int cpuReplicas, String notice) {
        public Selection {
            gpus = List.copyOf(gpus);
        }

        /** Whether replicas run on GPUs. */
        public boolean cuda() {
            return !gpus.isEmpty();
        }

        /** Number of replicas. */
        public int replicas() {
            return cuda() ? gpus.size() : cpuReplicas;
        }
    }

    private final Supplier<CudaProbe.Status> cuda;
    private final IntSupplier djlGpus;
    private final Consumer<String> notices;
    private final AtomicBoolean announced = new AtomicBoolean();

    /**
     * @param cuda what CUDA offers (normally {@link CudaProbe#system()})
     * @param djlGpus GPUs DJL's PyTorch engine can use (normally {@link #djlGpuCount()}); asked only
     *     when CUDA found GPUs
     * @param notices receives the CPU-fallback explanation, at most once per instance
     */
    public Devices(Supplier<CudaProbe.Status> cuda, IntSupplier djlGpus, Consumer<String> notices) {
        this.cuda = Objects.requireNonNull(cuda, "cuda");
        this.djlGpus = Objects.requireNonNull(djlGpus, "djlGpus");
        this.notices = Objects.requireNonNull(notices, "notices");
    }

    /** The process-wide instance: real probes, the CPU-fallback notice logged once (INFO). */
    public static Devices standard() {
        return STANDARD;
    }

    /**
     * GPUs DJL's PyTorch engine can use: 0 when its native library was built without CUDA (this
     * project ships DJL's CPU natives) even if GPUs are present.
     */
    public static int djlGpuCount() {
        LocalLibtorch.apply().flatMap(LocalLibtorch.Setup::versionMismatch).ifPresent(LOG::warn);
        Engine engine = Engine.getEngine("PyTorch");
        LOG.info("DJL PyTorch {} loaded from {}", engine.getVersion(), libtorchDirectory());
        return engine.getGpuCount();
    }

    /** The directory DJL loaded libtorch from, or "?" before the engine loaded. */
    static String libtorchDirectory() {
        try {
            return LibUtils.getLibtorchPath();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    /**
     * Resolves a {@code --devices} value without opening anything.
     *
     * @throws IllegalArgumentException if the value does not parse
     * @throws DeviceUnavailableException if it asks for GPUs that cannot be used, saying why
     */
    public Selection select(String spec) {
        return select(DeviceSpec.parse(spec));
    }

    /** {@link #select(String)} for a parsed spec. */
    public Selection select(DeviceSpec spec) {
        Selection s = switch (spec.kind()) {
            case CPU -> new Selection(spec, List.of(), spec.cpuReplicas(), null);
            case AUTO -> auto(spec);
            case CUDA -> explicitCuda(spec);
        };
        if (s.notice() != null && announced.compareAndSet(false, true)) {
            notices.accept(s.notice());
        }
        return s;
    }

    private Selection auto(DeviceSpec spec) {
        CudaProbe.Status status = cuda.get();
        if (!status.available()) {
            return cpuFallback(spec, "no usable CUDA GPU: " + status.reason());
        }
        if (djlGpus.getAsInt() <= 0) {
            return cpuFallback(spec, djlWithoutCuda(status));
        }
        List<Integer> all = new ArrayList<>();
        for (GpuInfo g : status.gpus()) {
            all.add(g.ordinal());
        }
        return new Selection(spec, all, 0, null);
    }

    private static Selection cpuFallback(DeviceSpec spec, String why) {
        return new Selection(spec, List.of(), 1, why + "; training continues on the CPU (1 replica)");
    }

    private static String djlWithoutCuda(CudaProbe.Status status) {
        return "found " + status.gpus().size() + " CUDA GPU(s) (" + status.describeGpus() + ") but DJL's PyTorch engine"
                + " has no CUDA: it loaded the libtorch in " + libtorchDirectory() + ", which is built for the CPU; "
                + LocalLibtorch.HOW_TO_USE_CUDA;
    }

    private Selection explicitCuda(DeviceSpec spec) {
        CudaProbe.Status status = cuda.get();
        if (!status.available()) {
            throw new DeviceUnavailableException("--devices " + spec + " needs a CUDA GPU, but there is none usable: "
                    + status.reason() + "; use --devices cpu (or auto)");
        }
        List<Integer> ids = new ArrayList<>();
        if (spec.gpus().isEmpty()) {
            for (GpuInfo g : status.gpus()) {
                ids.add(g.ordinal());
            }
        } else {
            for (int id : spec.gpus()) {
                if (id >= status.gpus().size()) {
                    throw new DeviceUnavailableException("--devices " + spec + ": there is no GPU " + id + "; this host has "
                            + status.gpus().size() + " (" + status.describeGpus() + "), numbered from 0");
                }
                ids.add(id);
            }
        }
        if (djlGpus.getAsInt() <= 0) {
            throw new DeviceUnavailableException("--devices " + spec + ": " + djlWithoutCuda(status)
                    + "; use --devices cpu (or auto)");
        }
        return new Selection(spec, ids, 0, null);
    }

    /**
     * Resolves and opens the devices, one per replica. The caller owns them (close each).
     *
     * @throws IllegalArgumentException if the value does not parse
     * @throws DeviceUnavailableException if it asks for GPUs that cannot be used
     */
    public List<ComputeDevice> open(String spec) {
        Selection s = select(spec);
        List<ComputeDevice> out = new ArrayList<>();
        if (!s.cuda()) {
            for (int i = 0; i < s.cpuReplicas(); i++) {
                out.add(new HostDevice(i));
            }
            return out;
        }
        try {
            for (int id : s.gpus()) {
                out.add(CudaDevice.open(id));
            }
        } catch (RuntimeException e) {
            for (ComputeDevice d : out) {
                try {
                    d.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        return out;
    }
}
