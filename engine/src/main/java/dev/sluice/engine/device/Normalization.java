package dev.sluice.engine.device;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where the per-channel mean and standard deviation of an image input come from. The values are
 * applied by the feeders' {@link dev.sluice.data.transform.TransformSpec} (CPU twin or CUDA kernel),
 * after pixels are scaled to {@code [0, 1]}.
 */
public enum Normalization {
    /** torchvision's ImageNet statistics (RGB): the usual choice for photographs. */
    IMAGENET,
    /** The dataset's {@code <image>.mean} / {@code <image>.std} metadata, 0.5 / 0.5 where absent. */
    DATASET,
    /** Mean 0, standard deviation 1: pixels in {@code [0, 1]}. */
    NONE;

    /** RGB means of ImageNet's training images (of pixel / 255), as torchvision publishes them. */
    static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** RGB standard deviations of ImageNet's training images (of pixel / 255). */
    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** Parses {@code imagenet}, {@code dataset} or {@code none}. */
    public static Normalization parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "imagenet" -> IMAGENET;
            case "dataset" -> DATASET;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("--normalize must be imagenet, dataset or none, not '" + s + "'");
        };
    }

    /** Means for {@code channels} channels; {@code datasetValues} are used by {@link #DATASET}. */
    float[] mean(int channels, float[] datasetValues) {
        return switch (this) {
            case IMAGENET -> perChannel(IMAGENET_MEAN, channels);
            case DATASET -> datasetValues;
            case NONE -> filled(channels, 0f);
        };
    }

    /** Standard deviations for {@code channels} channels; {@code datasetValues} are used by {@link #DATASET}. */
    float[] std(int channels, float[] datasetValues) {
        return switch (this) {
            case IMAGENET -> perChannel(IMAGENET_STD, channels);
            case DATASET -> datasetValues;
            case NONE -> filled(channels, 1f);
        };
    }

    private static float[] perChannel(float[] rgb, int channels) {
        if (channels == 3) {
            return rgb.clone();
        }
        // grey images: the mean of the RGB statistics for every channel
        return filled(channels, (rgb[0] + rgb[1] + rgb[2]) / 3f);
    }

    private static float[] filled(int n, float v) {
        float[] out = new float[n];
        Arrays.fill(out, v);
        return out;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
