package dev.sluice.engine.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DJL's PyTorch engine on a libtorch the user installed (for CUDA: {@code pip install torch==2.7.1}
 * built for CUDA 12.8), instead of the CPU libtorch bundled in {@code train.jar}. DJL loads
 * {@code libtorch.so} from the directory in {@code PYTORCH_LIBRARY_PATH}, and its JNI (bundled for
 * {@code cpu} and {@code cu128}) for the {@code PYTORCH_VERSION} and {@code PYTORCH_FLAVOR} it is told.
 * When only the path is given, {@link #apply()} fills in the other two from the directory (a
 * {@code libtorch_cuda.so} means {@code cu128}) as system properties, which DJL reads when the
 * environment variables are absent. Must run before DJL's engine first loads.
 */
public final class LocalLibtorch {

    /** The PyTorch version DJL 0.36's bundled JNI is built for. */
    public static final String JNI_TORCH_VERSION = "2.7.1";
    /** The CUDA flavor of that JNI. */
    public static final String JNI_CUDA_FLAVOR = "cu128";

    /** What to do to train on GPUs with this build: part of every "DJL has no CUDA" message. */
    public static final String HOW_TO_USE_CUDA = "to train on GPUs, install PyTorch " + JNI_TORCH_VERSION
            + " for CUDA 12.8 (pip install torch==" + JNI_TORCH_VERSION
            + " --index-url https://download.pytorch.org/whl/cu128), then point DJL at it before starting Sluice:"
            + " export PYTORCH_LIBRARY_PATH=\"$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname("
            + "torch.__file__), \"lib\"))')\" PYTORCH_VERSION=" + JNI_TORCH_VERSION + " PYTORCH_FLAVOR="
            + JNI_CUDA_FLAVOR + "; check with python3 -c 'import torch; print(torch.__version__,"
            + " torch.cuda.is_available())' (expect 2.7.1+cu128 True); Sluice then logs the libtorch directory DJL"
            + " loaded (see README, GPUs and NCCL)";

    private static final Pattern TORCH_VERSION = Pattern.compile("__version__\\s*=\\s*['\"]([^'\"]+)['\"]");

    private LocalLibtorch() {}

    /**
     * What was found at {@code PYTORCH_LIBRARY_PATH}.
     *
     * @param directory the directory holding {@code libtorch.so}
     * @param cuda whether it holds {@code libtorch_cuda.so}
     * @param torchVersion the pip package's {@code torch/version.py} version (e.g. {@code 2.7.1+cu128}),
     *     if the directory is a pip install's {@code torch/lib}
     * @param properties the DJL settings to add as system properties (those the environment lacks)
     */
    public record Setup(Path directory, boolean cuda, Optional<String> torchVersion, Map<String, String> properties) {

        /** A warning when the installed PyTorch is not the one DJL's JNI is built for, or empty. */
        public Optional<String> versionMismatch() {
            return torchVersion.filter(v -> !v.equals(JNI_TORCH_VERSION) && !v.startsWith(JNI_TORCH_VERSION + "+"))
                    .map(v -> "PYTORCH_LIBRARY_PATH points at PyTorch " + v + ", but DJL's JNI in this build is for "
                            + JNI_TORCH_VERSION + " and will likely fail to load it (undefined symbols);"
                            + " install torch==" + JNI_TORCH_VERSION + " in a separate virtual environment");
        }
    }

    /**
     * Reads the local libtorch set up by the environment; a pure function of {@code env} (environment
     * variables) and {@code properties} (system properties) apart from reading the directory.
     *
     * @return empty when {@code PYTORCH_LIBRARY_PATH} is unset
     * @throws DeviceUnavailableException when it is set but holds no {@code libtorch.so}
     */
    public static Optional<Setup> inspect(Function<String, String> env, Function<String, String> properties) {
        String path = env.apply("PYTORCH_LIBRARY_PATH");
        if (path == null || path.isBlank()) {
            return Optional.empty();
        }
        Path dir = Path.of(path.split(java.io.File.pathSeparator)[0]);
        if (!Files.isRegularFile(dir.resolve("libtorch.so"))) {
            throw new DeviceUnavailableException("PYTORCH_LIBRARY_PATH=" + path + " holds no libtorch.so; set it to the"
                    + " lib directory of a PyTorch " + JNI_TORCH_VERSION + " install (site-packages/torch/lib)");
        }
        boolean cuda = Files.isRegularFile(dir.resolve("libtorch_cuda.so"));
        Map<String, String> set = new LinkedHashMap<>();
        if (unset(env, properties, "PYTORCH_VERSION")) {
            set.put("PYTORCH_VERSION", JNI_TORCH_VERSION);
        }
        if (unset(env, properties, "PYTORCH_FLAVOR")) {
            // DJL's own default would be a "-precxx11" flavor, which this build does not carry
            set.put("PYTORCH_FLAVOR", cuda ? JNI_CUDA_FLAVOR : "cpu");
        }
        return Optional.of(new Setup(dir, cuda, torchVersion(dir), Map.copyOf(set)));
    }

    /**
     * Applies {@link #inspect} to this process: sets the missing DJL settings as system properties.
     * Call before DJL's PyTorch engine loads; idempotent.
     *
     * @return the setup, empty when no local libtorch is configured
     */
    public static synchronized Optional<Setup> apply() {
        Optional<Setup> setup = inspect(System::getenv, System::getProperty);
        setup.ifPresent(s -> s.properties().forEach(System::setProperty));
        return setup;
    }

    private static boolean unset(Function<String, String> env, Function<String, String> properties, String key) {
        String e = env.apply(key);
        String p = properties.apply(key);
        return (e == null || e.isEmpty()) && (p == null || p.isEmpty());
    }

    /** {@code __version__} from {@code torch/version.py} next to {@code torch/lib}, if there is one. */
    static Optional<String> torchVersion(Path libDir) {
        Path parent = libDir.toAbsolutePath().getParent();
        Path versionFile = parent == null ? null : parent.resolve("version.py");
        if (versionFile == null || !Files.isRegularFile(versionFile)) {
            return Optional.empty();
        }
        try {
            Matcher m = TORCH_VERSION.matcher(Files.readString(versionFile, StandardCharsets.UTF_8));
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            // only a diagnostic: the load itself will say whether the library fits
            return Optional.empty();
        }
    }
}
