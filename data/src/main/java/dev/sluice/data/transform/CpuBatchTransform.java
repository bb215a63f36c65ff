package dev.sluice.data.transform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The CPU twin of the CUDA batch-transform kernels: turns a batch of stored uint8 images into
 * float32 {@code N x C x H x W} with the same values, bit for bit, as the device produces (see
 * {@link TransformSpec} for the formula and {@link SampleRandom} for the augmentation draws). This is
 * what runs on hosts without a GPU.
 *
 * <p>Values are looked up in a per-channel table of the 256 possible results, filled once with the
 * float32 expression the kernels evaluate; a transform allocates nothing. Instances are immutable
 * and thread-safe: a batch may be split across threads by sample ranges, each call passing the
 * buffers positioned at its first sample and {@code firstSampleId} of that sample.
 */
public final class CpuBatchTransform {

    /** The float32 nearest to 1/255 (0x3B808081), the same constant as the kernels' SLUICE_INV255. */
    public static final float INV_255 = 0x1.010102p-8f;

    private final TransformSpec spec;
    private final float[] table;

    /** A transform for batches of {@code spec}'s shape. */
    public CpuBatchTransform(TransformSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec");
        int channels = spec.channels();
        this.table = new float[channels * 256];
        for (int c = 0; c < channels; c++) {
            float mean = spec.mean(c);
            float invStd = spec.invStd(c);
            for (int v = 0; v < 256; v++) {
                table[c * 256 + v] = value(v, mean, invStd);
            }
        }
    }

    /**
     * The float one stored byte becomes: {@code (v * INV_255 - mean) * invStd}, each operation
     * rounded to float32 (Java never fuses them), as the kernels compute it under -fmad=false.
     */
    public static float value(int v, float mean, float invStd) {
        float x = v * INV_255;
        x = x - mean;
        return x * invStd;
    }

    /** The spec this transform applies. */
    public TransformSpec spec() {
        return spec;
    }

    /**
     * Transforms {@code batchSize} samples. Reads {@code batchSize * spec.inputBytesPerSample()}
     * bytes starting at {@code input.position()} and writes {@code batchSize} float32 CHW samples
     * starting at {@code output.position()}; neither position is changed. Sample {@code i} of the
     * batch draws its crop and flip from sample id {@code firstSampleId + i}.
     *
     * @param input stored uint8 samples, {@link TransformSpec#layout()} order (usually a direct buffer)
     * @param batchSize number of samples, at least 0
     * @param firstSampleId id of the batch's first sample, e.g. samples this rank consumed so far
     * @param output receives the floats in native byte order, as device memory holds them
     * @throws IllegalArgumentException if a buffer is too small, read-only or not native order
     */
    public void apply(ByteBuffer input, int batchSize, long firstSampleId, ByteBuffer output) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        check(input, batchSize, output);
        final int h = spec.height();
        final int w = spec.width();
        final int channels = spec.channels();
        final int plane = h * w;
        final int sampleBytes = spec.inputBytesPerSample();
        final boolean hwc = spec.layout() == Layout.HWC;
        final int inBase = input.position();
        final int outBase = output.position();
        if (!spec.augments() && (channels == 1 || !hwc)) {
            // no crop or flip and stored planar (or one channel): output order is input order, a plain
            // table lookup per byte; this loop runs on the training thread every step, so it is kept
            // free of per-pixel branches
            for (int s = 0; s < batchSize; s++) {
                for (int c = 0; c < channels; c++) {
                    final int t = c * 256;
                    final int from = inBase + s * sampleBytes + c * plane;
                    final int to = outBase + (s * sampleBytes + c * plane) * 4;
                    for (int i = 0; i < plane; i++) {
                        output.putFloat(to + 4 * i, table[t + (input.get(from + i) & 0xFF)]);
                    }
                }
            }
            return;
        }
        for (int s = 0; s < batchSize; s++) {
            int dy = 0;
            int dx = 0;
            boolean flipped = false;
            int pad = 0;
            if (spec.augments()) {
                long hash = SampleRandom.sampleHash(spec.seed(), firstSampleId + s);
                pad = spec.pad();
                dy = spec.crop() ? SampleRandom.cropOffsetY(hash, pad) : pad;
                dx = spec.crop() ? SampleRandom.cropOffsetX(hash, pad) : pad;
                flipped = spec.flip() && SampleRandom.flip(hash);
            }
            final int src = inBase + s * sampleBytes;
            int dst = outBase + s * sampleBytes * 4;
            for (int c = 0; c < channels; c++) {
                final int t = c * 256;
                final float padValue = table[t];
                for (int y = 0; y < h; y++) {
                    final int sy = y + dy - pad;
                    if (sy < 0 || sy >= h) {
                        for (int x = 0; x < w; x++, dst += 4) {
                            output.putFloat(dst, padValue);
                        }
                        continue;
                    }
                    for (int x = 0; x < w; x++, dst += 4) {
                        final int sx = (flipped ? w - 1 - x : x) + dx - pad;
                        float f = padValue;
                        if (sx >= 0 && sx < w) {
                            int index = hwc ? (sy * w + sx) * channels + c : c * plane + sy * w + sx;
                            f = table[t + (input.get(src + index) & 0xFF)];
                        }
                        output.putFloat(dst, f);
                    }
                }
            }
        }
    }

    private void check(ByteBuffer input, int batchSize, ByteBuffer output) {
        if (batchSize < 0) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must not be negative");
        }
        long inBytes = (long) batchSize * spec.inputBytesPerSample();
        long outBytes = batchSize * spec.outputBytesPerSample();
        if (input.remaining() < inBytes) {
            throw new IllegalArgumentException("input holds " + input.remaining() + " bytes from position "
                    + input.position() + " but " + batchSize + " samples of " + spec.height() + "x"
                    + spec.width() + "x" + spec.channels() + " need " + inBytes);
        }
        if (output.remaining() < outBytes) {
            throw new IllegalArgumentException("output holds " + output.remaining() + " bytes from position "
                    + output.position() + " but " + batchSize + " float32 samples need " + outBytes);
        }
        if (output.isReadOnly()) {
            throw new IllegalArgumentException("output buffer is read-only");
        }
        if (output.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("output buffer is " + output.order() + " but floats are written in "
                    + "native order (" + ByteOrder.nativeOrder() + ", as on the device): call "
                    + "output.order(ByteOrder.nativeOrder()) first");
        }
    }
}
