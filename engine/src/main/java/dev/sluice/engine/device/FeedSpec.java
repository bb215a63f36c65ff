package dev.sluice.engine.device;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.transform.Layout;
import dev.sluice.data.transform.SampleRandom;
import dev.sluice.data.transform.TransformSpec;
import java.util.Arrays;
import java.util.List;

/**
 * Which dataset fields feed the model and how images are turned into float tensors on the device:
 * the image field (uint8, HWC or CHW), the label field (integer class ids) and per-channel
 * normalization.
 *
 * @param imageField name of the input field
 * @param labelField name of the class-id field
 * @param channelsLast whether images are stored HWC (true) or CHW
 * @param channels image channels
 * @param height image height
 * @param width image width
 * @param mean per-channel mean of pixel/255
 * @param std per-channel standard deviation of pixel/255
 * @param numClasses classes of the label field
 * @param encoded whether the image field holds encoded JPEG/PNG bytes that the loader's decode stage
 *     turns into uint8 {@code [height, width, 3]} (then {@code height x width} is the decoded size)
 */
public record FeedSpec(String imageField, String labelField, boolean channelsLast, int channels, int height,
                        int width, float[] mean, float[] std, int numClasses, boolean encoded) {

    /** A spec of a stored (not encoded) uint8 image field. */
    public FeedSpec(String imageField, String labelField, boolean channelsLast, int channels, int height, int width,
                    float[] mean, float[] std, int numClasses) {
        this(imageField, labelField, channelsLast, channels, height, width, mean, std, numClasses, false);
    }

    /**
     * Derives the input from a dataset: the first uint8 field of rank 2 or 3 is the image, the first
     * scalar integer field with class names is the label; {@code <image>.layout} metadata says HWC
     * (default) or CHW; {@code <image>.mean}/{@code .std} metadata (comma-separated) give the
     * normalization, else 0.5/0.5.
     *
     * @throws IllegalArgumentException naming the fields when no image or label field fits
     */
    public static FeedSpec from(Manifest manifest) {
        return from(manifest, null, null, 0, Normalization.DATASET);
    }

    /**
     * Derives the input from a dataset with the roles and image options of a run. The image field
     * is {@code imageField} or the first uint8 field of rank 2 or 3 or bytes field with encoding
     * jpeg or png; the label field is {@code labelField} or the first integer scalar field. An
     * encoded image is delivered by the loader's decode stage as RGB {@code [size, size, 3]}.
     *
     * @param imageField the image field's name, or null to find it
     * @param labelField the label field's name, or null to find it
     * @param size side of the decoded square for an encoded image field (ignored for stored pixels)
     * @param norm where the per-channel statistics come from; null for ImageNet's on an encoded
     *     field and the dataset's on stored pixels
     * @throws IllegalArgumentException naming the fields when no image or label field fits
     */
    public static FeedSpec from(Manifest manifest, String imageField, String labelField, int size,
                                Normalization norm) {
        Schema s = manifest.schema();
        FieldSpec image = imageField == null ? null : named(manifest, imageField, "image");
        FieldSpec label = labelField == null ? null : named(manifest, labelField, "label");
        if (image != null && !isImage(image)) {
            throw new IllegalArgumentException("--image-field " + imageField + " of dataset '" + manifest.name()
                    + "' is " + image + "; an image field is uint8 [H, W, C], [C, H, W] or [H, W], or bytes with"
                    + " encoding jpeg or png");
        }
        if (label != null && !isLabel(label)) {
            throw new IllegalArgumentException("--label-field " + labelField + " of dataset '" + manifest.name()
                    + "' is " + label + "; a label field is an integer scalar with class names");
        }
        for (FieldSpec f : s.fields()) {
            if (image == null && isImage(f) && !f.equals(label)) {
                image = f;
            } else if (label == null && isLabel(f) && !f.equals(image)) {
                label = f;
            }
        }
        if (image == null || label == null) {
            throw new IllegalArgumentException("dataset '" + manifest.name() + "' has fields " + s
                    + "; training needs a uint8 image field of shape [H, W, C], [C, H, W] or [H, W] (or a bytes"
                    + " field with encoding jpeg or png) and an integer scalar label field; name them with"
                    + " --image-field and --label-field");
        }
        boolean encoded = image.dtype() == DType.BYTES;
        boolean last = encoded
                || !"CHW".equalsIgnoreCase(manifest.metadata().getOrDefault(image.name() + ".layout", "HWC"));
        long[] sh = image.shape();
        int c;
        int h;
        int w;
        if (encoded) {
            if (size <= 0) {
                throw new IllegalArgumentException("field '" + image.name() + "' holds encoded " + image.encoding()
                        + " images; give the size to decode them to (--image-size)");
            }
            c = 3;
            h = size;
            w = size;
        } else if (sh.length == 2) {
            c = 1;
            h = (int) sh[0];
            w = (int) sh[1];
        } else if (last) {
            h = (int) sh[0];
            w = (int) sh[1];
            c = (int) sh[2];
        } else {
            c = (int) sh[0];
            h = (int) sh[1];
            w = (int) sh[2];
        }
        int classes = label.classes().isEmpty() ? 0 : label.classes().size();
        if (classes < 2) {
            throw new IllegalArgumentException("label field '" + label.name() + "' of dataset '" + manifest.name()
                    + "' lists no class names; re-ingest with class names so the model knows how many classes");
        }
        if (norm == null) {
            norm = encoded ? Normalization.IMAGENET : Normalization.DATASET;
        }
        float[] mean = norm.mean(c, channelStats(manifest, image.name() + ".mean", c, 0.5f));
        float[] std = norm.std(c, channelStats(manifest, image.name() + ".std", c, 0.5f));
        return new FeedSpec(image.name(), label.name(), last, c, h, w, mean, std, classes, encoded);
    }

    private static boolean isImage(FieldSpec f) {
        int rank = f.shape().length;
        return (f.dtype() == DType.UINT8 && (rank == 2 || rank == 3))
                || (f.dtype() == DType.BYTES && ("jpeg".equals(f.encoding()) || "png".equals(f.encoding())));
    }

    private static boolean isLabel(FieldSpec f) {
        DType t = f.dtype();
        return f.shape().length == 0 && !f.variable() && t != DType.FLOAT32 && t != DType.FLOAT64
                && t != DType.FLOAT16 && t != DType.BFLOAT16 && t != DType.BYTES && t != DType.STRING;
    }

    private static FieldSpec named(Manifest m, String name, String role) {
        for (FieldSpec f : m.schema().fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--" + role + "-field " + name + ": dataset '" + m.name() + "' has no such"
                + " field; its fields are " + m.schema());
    }

    private static float[] channelStats(Manifest m, String key, int c, float dflt) {
        float[] out = new float[c];
        Arrays.fill(out, dflt);
        String v = m.metadata().get(key);
        if (v != null) {
            String[] parts = v.split(",");
            for (int i = 0; i < c; i++) {
                out[i] = Float.parseFloat(parts[Math.min(i, parts.length - 1)].trim());
            }
        }
        return out;
    }

    /** Image shape as the model sees it, {@code [C, H, W]}. */
    public long[] chw() {
        return new long[] {channels, height, width};
    }

    /**
     * The transform a feeder applies without augmentation: stored layout to float32 CHW, scaled by
     * 1/255 and normalized with {@link #mean()}/{@link #std()}.
     */
    public TransformSpec transform() {
        return TransformSpec.builder(channelsLast ? Layout.HWC : Layout.CHW, height, width, channels)
                .normalize(mean, std).build();
    }

    /**
     * {@link #transform()} plus seeded augmentation: a random crop of the image zero-padded by
     * {@code pad} pixels (none when 0) and a random horizontal flip.
     *
     * @param seed e.g. {@link #augmentSeed(long, long, int)}
     */
    public TransformSpec augmented(int pad, boolean flip, long seed) {
        return transform().toBuilder().crop(pad > 0).pad(pad).flip(flip).seed(seed).build();
    }

    /**
     * The augmentation seed of one rank in one epoch of a run: reproducible, and different across
     * epochs and ranks. Feeders draw sample {@code i}'s crop and flip from (seed, samples this rank
     * consumed in the epoch before it), so a resumed epoch augments exactly as the original.
     */
    public static long augmentSeed(long runSeed, long epoch, int rank) {
        long z = SampleRandom.mix64(runSeed ^ 0x5EED_A0C0_FFEEL);
        z = SampleRandom.mix64(z + (epoch + 1) * 0x9E3779B97F4A7C15L);
        return SampleRandom.mix64(z + (rank + 1L) * 0xC2B2AE3D27D4EB4FL);
    }

    /**
     * Index of {@link #imageField()} among a batch's fields.
     *
     * @throws IllegalArgumentException naming the fields when it is missing
     */
    public int imageIndex(List<FieldSpec> fields) {
        return indexOf(fields, imageField);
    }

    /**
     * Index of {@link #labelField()} among a batch's fields.
     *
     * @throws IllegalArgumentException naming the fields when it is missing
     */
    public int labelIndex(List<FieldSpec> fields) {
        return indexOf(fields, labelField);
    }

    /**
     * Checks that {@code t} transforms this input: same stored layout and image shape.
     *
     * @throws IllegalArgumentException saying what differs
     */
    public void checkTransform(TransformSpec t) {
        boolean layoutMatters = channels > 1;
        Layout expected = channelsLast ? Layout.HWC : Layout.CHW;
        if (t.height() != height || t.width() != width || t.channels() != channels
                || (layoutMatters && t.layout() != expected)) {
            throw new IllegalArgumentException("transform " + t + " does not fit the input field '" + imageField + "' ("
                    + expected + " " + height + "x" + width + "x" + channels + "); build it from FeedSpec.transform()");
        }
    }

    private static int indexOf(List<FieldSpec> fields, String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("field '" + name + "' is not among the loaded fields "
                + fields.stream().map(FieldSpec::name).toList() + "; load it (LoaderConfig.withFields) or fix the FeedSpec");
    }
}
