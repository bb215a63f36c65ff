package dev.sluice.data.image;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses a decoder implementation by name: the CPU decoders of this module ({@code opencv},
 * {@code imageio}) and any {@link ImageDecoderProvider} on the class path (the engine's
 * {@code nvjpeg}).
 */
public final class ImageDecoders {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoders.class);

    /** Where the GPU decoder lives, for the message when it is asked for without it. */
    private static final String NVJPEG = "nvjpeg";

    private ImageDecoders() {
    }

    /**
     * The decoder implementation for {@code name}: {@code opencv}, {@code imageio}, a provider's name
     * ({@code nvjpeg}), or {@code auto} (OpenCV where its natives load, measured several times faster;
     * ImageIO otherwise). {@code auto} never picks a provider's decoder: the GPU decoder is used only
     * when asked for, until a benchmark shows it ahead of the CPU decoders.
     *
     * @return a factory of per-thread decoders
     * @throws IllegalArgumentException for an unknown name, or a decoder that cannot load here
     */
    public static Supplier<ImageDecoder> factory(String name) {
        String n = resolve(name);
        return switch (n) {
            case "opencv" -> OpenCvDecoder::new;
            case "imageio" -> ImageIoDecoder::new;
            default -> Providers.ALL.get(n)::create;
        };
    }

    /**
     * The implementation {@code name} stands for here ({@code auto} resolved).
     *
     * @throws IllegalArgumentException for an unknown name, or a decoder that cannot load here; the
     *     message says why and what to choose instead
     */
    public static String resolve(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "auto" -> openCvFailure() == null ? "opencv" : "imageio";
            case "imageio" -> "imageio";
            case "opencv" -> {
                String why = openCvFailure();
                if (why != null) {
                    throw new IllegalArgumentException("decoder 'opencv' cannot load here (" + why
                            + "); choose imageio or auto");
                }
                yield "opencv";
            }
            default -> {
                ImageDecoderProvider p = Providers.ALL.get(n);
                if (p == null) {
                    String hint = n.equals(NVJPEG) ? " (nvjpeg is the engine's GPU decoder: it is in sluice-engine,"
                            + " train.jar, which is not on this class path)" : "";
                    throw new IllegalArgumentException("unknown image decoder '" + name + "'; choose "
                            + String.join(", ", names()) + hint);
                }
                String why = p.unavailableReason();
                if (why != null) {
                    throw new IllegalArgumentException("decoder '" + n + "' cannot be used here: " + why
                            + "\nOr choose a CPU decoder: auto (the default), opencv or imageio.");
                }
                yield n;
            }
        };
    }

    /** Every decoder name this class path knows, {@code auto} first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>(List.of("auto", "opencv", "imageio"));
        names.addAll(Providers.ALL.keySet());
        return names;
    }

    /**
     * Why OpenCV cannot be used here, or null. Linking {@link OpenCvDecoder} itself fails without
     * JavaCPP on the class path (its fields are JavaCPP types), before its own probe can answer.
     */
    private static String openCvFailure() {
        try {
            return OpenCvDecoder.unavailableReason();
        } catch (LinkageError e) {
            return e.toString();
        }
    }

    /** The providers on the class path, found once, on first use of a name that is not built in. */
    private static final class Providers {
        static final Map<String, ImageDecoderProvider> ALL = load();

        private static Map<String, ImageDecoderProvider> load() {
            Map<String, ImageDecoderProvider> all = new LinkedHashMap<>();
            Iterator<ImageDecoderProvider> it = ServiceLoader.load(ImageDecoderProvider.class,
                    ImageDecoders.class.getClassLoader()).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    ImageDecoderProvider p = it.next();
                    all.putIfAbsent(p.name().toLowerCase(Locale.ROOT), p);
                } catch (ServiceConfigurationError | LinkageError e) {
                    // a provider whose classes are missing or broken must not take the CPU decoders down
                    // with it: it is left out, and asking for it by name says it is unknown
                    LOG.warn("an image decoder provider on the class path cannot be loaded and is ignored: {}",
                            e.toString());
                }
            }
            return Collections.unmodifiableMap(all);
        }
    }
}
