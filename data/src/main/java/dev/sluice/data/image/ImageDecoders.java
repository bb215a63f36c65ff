package dev.sluice.data.image;

import java.util.Locale;
import java.util.function.Supplier;

/** Chooses a decoder implementation by name. */
public final class ImageDecoders {

    private ImageDecoders() {
    }

    /**
     * The decoder implementation for {@code name}: {@code opencv}, {@code imageio}, or {@code auto}
     * (OpenCV where its natives load, measured several times faster; ImageIO otherwise).
     *
     * @return a factory of per-thread decoders
     * @throws IllegalArgumentException for an unknown name, or {@code opencv} where it cannot load
     */
    public static Supplier<ImageDecoder> factory(String name) {
        return switch (resolve(name)) {
            case "opencv" -> OpenCvDecoder::new;
            default -> ImageIoDecoder::new;
        };
    }

    /** The implementation {@code name} stands for here ({@code auto} resolved). */
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
            default -> throw new IllegalArgumentException("unknown image decoder '" + name
                    + "'; choose auto, opencv or imageio");
        };
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
}
