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
            case "auto" -> OpenCvDecoder.available() ? "opencv" : "imageio";
            case "imageio" -> "imageio";
            case "opencv" -> {
                if (!OpenCvDecoder.available()) {
                    throw new IllegalArgumentException("decoder 'opencv' cannot load here ("
                            + OpenCvDecoder.unavailableReason() + "); choose imageio or auto");
                }
                yield "opencv";
            }
            default -> throw new IllegalArgumentException("unknown image decoder '" + name
                    + "'; choose auto, opencv or imageio");
        };
    }
}
