package dev.sluice.data.image;

import java.util.Locale;

/**
 * The loader's decode stage for one encoded image field: every sample's image is decoded, cropped,
 * resized to {@code height x width}, maybe flipped, and written into the batch as uint8
 * {@code [height, width, 3]} RGB. Random choices are a pure function of (loader seed, epoch, sample
 * id); see {@link ImageAugment}.
 *
 * @param field the encoded image field (bytes, encoding jpeg or png)
 * @param height output height
 * @param width output width
 * @param crop how the region to keep is chosen
 * @param flip mirror left to right for about half the samples
 * @param decoder {@code auto}, {@code opencv}, {@code imageio}, or a provider's name such as the engine's
 *     {@code nvjpeg} (see {@link ImageDecoders})
 * @param threads decode threads; 0 for one per available core
 * @param strict fail the stream on an image that does not decode instead of skipping it with a warning
 */
public record ImageStage(String field, int height, int width, Crop crop, boolean flip, String decoder, int threads,
                         boolean strict) {

    /** How the kept region of each image is chosen. */
    public enum Crop {
        /** The whole image, stretched to the output size. */
        RESIZE,
        /** The centred box of {@link dev.sluice.data.transform.CenterCrop} (evaluation). */
        CENTER,
        /** torchvision's random-resized-crop with its default ranges (training). */
        RANDOM_RESIZED;

        /** Parses {@code resize}, {@code center} or {@code rrc}. */
        public static Crop parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "resize" -> RESIZE;
                case "center", "center-crop" -> CENTER;
                case "rrc", "random-resized-crop" -> RANDOM_RESIZED;
                default -> throw new IllegalArgumentException("unknown crop '" + s + "'; choose resize, center or rrc");
            };
        }
    }

    public ImageStage {
        if (height <= 0 || width <= 0 || height > 1 << 14 || width > 1 << 14) {
            throw new IllegalArgumentException("image size must be 1..16384 on each side, got " + height + "x" + width);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("decode threads must be >= 0 (0: one per core), got " + threads);
        }
        if (crop == null || field == null || decoder == null) {
            throw new IllegalArgumentException("field, crop and decoder must be given");
        }
    }

    /** Training defaults: random-resized-crop and flip to a square of {@code size}, auto decoder, all cores. */
    public static ImageStage training(String field, int size) {
        return new ImageStage(field, size, size, Crop.RANDOM_RESIZED, true, "auto", 0, false);
    }

    /** Evaluation defaults: centre crop to a square of {@code size}, no flip. */
    public static ImageStage evaluation(String field, int size) {
        return new ImageStage(field, size, size, Crop.CENTER, false, "auto", 0, false);
    }

    public ImageStage withAugment(Crop c, boolean mirror) {
        return new ImageStage(field, height, width, c, mirror, decoder, threads, strict);
    }

    public ImageStage withDecoder(String name, int decodeThreads) {
        return new ImageStage(field, height, width, crop, flip, name, decodeThreads, strict);
    }

    public ImageStage withStrict(boolean on) {
        return new ImageStage(field, height, width, crop, flip, decoder, threads, on);
    }

    /** Bytes of one output image. */
    public int sampleBytes() {
        return height * width * 3;
    }

    /** {@link #threads()} with 0 resolved to the available cores. */
    public int threadCount() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
