package dev.sluice.data.transform;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a batch transform does, shared by the CUDA kernels and {@link CpuBatchTransform}: the stored
 * image shape and layout, per-channel normalization, and the seeded random crop (with zero padding)
 * and horizontal flip. Immutable.
 *
 * <p>Each output value is {@code (v * (1/255f) - mean[c]) * (1f / std[c])}, evaluated in float32 one
 * rounded operation at a time, where {@code v} is the stored byte (0 for padding). Without
 * {@link Builder#normalize normalize} mean is 0 and std is 1, which is exactly {@code v * (1/255f)}.
 *
 * <p>Random crop: the image is padded by {@link #pad()} zero pixels on every side and an
 * {@code H x W} window is taken at a per-sample offset; random flip mirrors that window left to
 * right for about half the samples. Both draw from {@link SampleRandom} keyed by ({@link #seed()},
 * sample id), so derive the seed from (run seed, epoch, rank) to vary augmentation across epochs.
 */
public final class TransformSpec {

    /** Most channels a spec may have (the kernels take per-channel constants by value). */
    public static final int MAX_CHANNELS = 16;
    /** Largest height or width. */
    public static final int MAX_SIDE = 1 << 16;
    /** Largest padding. */
    public static final int MAX_PAD = 1 << 16;

    private final Layout layout;
    private final int height;
    private final int width;
    private final int channels;
    private final float[] mean;
    private final float[] std;
    private final float[] invStd;
    private final int pad;
    private final boolean crop;
    private final boolean flip;
    private final long seed;

    private TransformSpec(Builder b) {
        this.layout = b.layout;
        this.height = b.height;
        this.width = b.width;
        this.channels = b.channels;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.pad = b.pad;
        this.crop = b.crop;
        this.flip = b.flip;
        this.seed = b.seed;
        this.invStd = new float[channels];
        for (int c = 0; c < channels; c++) {
            invStd[c] = 1f / std[c];
        }
    }

    /**
     * Starts a spec for images of {@code height x width x channels} bytes stored in {@code layout}:
     * by default only conversion to float32 CHW scaled by 1/255.
     */
    public static Builder builder(Layout layout, int height, int width, int channels) {
        return new Builder(layout, height, width, channels);
    }

    /** A builder holding this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder(layout, height, width, channels);
        b.mean = mean.clone();
        b.std = std.clone();
        b.pad = pad;
        b.crop = crop;
        b.flip = flip;
        b.seed = seed;
        return b;
    }

    /** This spec with another seed, e.g. one derived per epoch and rank. */
    public TransformSpec withSeed(long newSeed) {
        return toBuilder().seed(newSeed).build();
    }

    public Layout layout() {
        return layout;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channels() {
        return channels;
    }

    /** Mean subtracted from channel {@code c} (after scaling by 1/255). */
    public float mean(int c) {
        return mean[Objects.checkIndex(c, channels)];
    }

    /** Standard deviation of channel {@code c} (after scaling by 1/255). */
    public float std(int c) {
        return std[Objects.checkIndex(c, channels)];
    }

    /** {@code 1f / std(c)} in float32: the factor both implementations multiply by. */
    public float invStd(int c) {
        return invStd[Objects.checkIndex(c, channels)];
    }

    /** Zero padding on each side before the random crop; 0 when crop is off. */
    public int pad() {
        return pad;
    }

    /** Whether each sample is cropped at a random offset of the padded image. */
    public boolean crop() {
        return crop;
    }

    /** Whether each sample is flipped left to right with probability 1/2. */
    public boolean flip() {
        return flip;
    }

    /** Seed of the per-sample randomness. */
    public long seed() {
        return seed;
    }

    /** Whether any channel has a mean other than 0 or a std other than 1. */
    public boolean normalizes() {
        for (int c = 0; c < channels; c++) {
            if (mean[c] != 0f || std[c] != 1f) {
                return true;
            }
        }
        return false;
    }

    /** Whether samples are randomly cropped or flipped. */
    public boolean augments() {
        return crop || flip;
    }

    /** Bytes of one stored sample: {@code height * width * channels}. */
    public int inputBytesPerSample() {
        return height * width * channels;
    }

    /** Bytes of one transformed sample: {@code 4 * channels * height * width}. */
    public long outputBytesPerSample() {
        return 4L * inputBytesPerSample();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TransformSpec)) {
            return false;
        }
        TransformSpec t = (TransformSpec) o;
        return layout == t.layout && height == t.height && width == t.width && channels == t.channels
                && Arrays.equals(mean, t.mean) && Arrays.equals(std, t.std) && pad == t.pad
                && crop == t.crop && flip == t.flip && seed == t.seed;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(layout, height, width, channels, pad, crop, flip, seed);
        return 31 * (31 * h + Arrays.hashCode(mean)) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "TransformSpec{" + layout + " " + height + "x" + width + "x" + channels
                + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
                + ", crop=" + crop + ", pad=" + pad + ", flip=" + flip + ", seed=" + seed + "}";
    }

    /** Builds a {@link TransformSpec}; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final Layout layout;
        private final int height;
        private final int width;
        private final int channels;
        private float[] mean;
        private float[] std;
        private int pad;
        private boolean crop;
        private boolean flip;
        private long seed;

        private Builder(Layout layout, int height, int width, int channels) {
            this.layout = Objects.requireNonNull(layout, "layout");
            this.height = height;
            this.width = width;
            this.channels = channels;
            int n = Math.max(0, Math.min(channels, MAX_CHANNELS));
            this.mean = new float[n];
            this.std = new float[n];
            Arrays.fill(std, 1f);
        }

        /** Per-channel mean and standard deviation, in units of the scaled value {@code v / 255}. */
        public Builder normalize(float[] channelMean, float[] channelStd) {
            this.mean = Objects.requireNonNull(channelMean, "mean").clone();
            this.std = Objects.requireNonNull(channelStd, "std").clone();
            return this;
        }

        /** Random crop of the image padded with {@code padding} zero pixels per side. */
        public Builder randomCrop(int padding) {
            this.crop = true;
            this.pad = padding;
            return this;
        }

        /** Crop on or off; with crop off, {@link #pad(int)} must stay 0. */
        public Builder crop(boolean on) {
            this.crop = on;
            return this;
        }

        /** Zero padding per side for the random crop. */
        public Builder pad(int padding) {
            this.pad = padding;
            return this;
        }

        /** Random horizontal flip on or off. */
        public Builder flip(boolean on) {
            this.flip = on;
            return this;
        }

        /** Seed of the per-sample randomness. */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the offending value and its allowed range
         */
        public TransformSpec build() {
            if (height < 1 || height > MAX_SIDE || width < 1 || width > MAX_SIDE) {
                throw new IllegalArgumentException("image size " + height + "x" + width
                        + " is out of range: height and width must be in [1, " + MAX_SIDE + "]");
            }
            if (channels < 1 || channels > MAX_CHANNELS) {
                throw new IllegalArgumentException("channels = " + channels + " is out of range [1, "
                        + MAX_CHANNELS + "]");
            }
            if ((long) height * width * channels > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("one sample of " + height + "x" + width + "x" + channels
                        + " bytes exceeds " + Integer.MAX_VALUE + " bytes");
            }
            if (mean.length != channels || std.length != channels) {
                throw new IllegalArgumentException("normalize needs one mean and one std per channel: "
                        + channels + " channels, got " + mean.length + " means and " + std.length + " stds");
            }
            for (int c = 0; c < channels; c++) {
                if (!Float.isFinite(mean[c])) {
                    throw new IllegalArgumentException("mean[" + c + "] = " + mean[c] + " is not finite");
                }
                if (!(std[c] > 0f) || !Float.isFinite(1f / std[c]) || !Float.isFinite(std[c])) {
                    throw new IllegalArgumentException("std[" + c + "] = " + std[c]
                            + " must be positive and finite, with 1/std finite");
                }
            }
            if (pad < 0 || pad > MAX_PAD) {
                throw new IllegalArgumentException("pad = " + pad + " is out of range [0, " + MAX_PAD + "]");
            }
            if (pad > 0 && !crop) {
                throw new IllegalArgumentException("pad = " + pad
                        + " has no effect with crop off: enable the random crop or set pad to 0");
            }
            return new TransformSpec(this);
        }
    }
}
