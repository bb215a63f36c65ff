package dev.sluice.data.image;

import dev.sluice.data.transform.CropBox;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Crop, resize and flip through OpenCV: the box is a view of the decoded pixels (no copy),
 * {@code resize} with {@code INTER_LINEAR} (bilinear with pixel centres aligned, as
 * {@link dev.sluice.data.transform.Resize}, in 11-bit fixed point; integer arithmetic, so the same
 * bytes from run to run on a machine) writes into a reused matrix or straight
 * into the batch, {@code flip} into the batch. Per sample it allocates a matrix header for the view
 * and one for the batch slot. Pixels on the Java heap (ImageIO's) go through {@link Resampler#JAVA}.
 * One instance per thread; close it to free its matrices.
 */
public final class OpenCvResampler implements Resampler, AutoCloseable {

    private final int outH;
    private final int outW;
    private final Size size;
    private final Mat resized;
    private final Mat flipped;
    private final ByteBuffer resizedBytes;
    private final ByteBuffer flippedBytes;
    /** The decoder's pixel buffer last read (decoders reuse theirs). */
    private final NativeView source = new NativeView();
    /** The batch buffer last written. */
    private final NativeView output = new NativeView();

    /**
     * @param outH output height of every call
     * @param outW output width of every call
     * @throws IllegalStateException if OpenCV's natives do not load here
     */
    public OpenCvResampler(int outH, int outW) {
        if (!OpenCvDecoder.available()) {
            throw new IllegalStateException("OpenCV's natives are not usable on this machine: "
                    + OpenCvDecoder.unavailableReason() + "; use the imageio decoder instead");
        }
        this.outH = outH;
        this.outW = outW;
        this.size = new Size(outW, outH);
        this.resized = new Mat(outH, outW, opencv_core.CV_8UC3);
        this.flipped = new Mat(outH, outW, opencv_core.CV_8UC3);
        long n = (long) outH * outW * 3;
        this.resizedBytes = resized.data().capacity(n).asBuffer();
        this.flippedBytes = flipped.data().capacity(n).asBuffer();
    }

    @Override
    public void resample(DecodedImage img, CropBox box, boolean mirror, ByteBuffer dst, int dstOffset, int h, int w) {
        ByteBuffer px = img.pixels();
        if (!px.isDirect()) {
            JAVA.resample(img, box, mirror, dst, dstOffset, h, w);
            return;
        }
        if (h != outH || w != outW) {
            throw new IllegalArgumentException("this resampler writes " + outH + "x" + outW + ", asked for " + h + "x" + w);
        }
        long stride = 3L * img.width();
        BytePointer from = source.at(px, box.top() * stride + 3L * box.left());
        int n = outH * outW * 3;
        boolean direct = dst.isDirect() && !img.bgr();
        // straight into the batch when it is in native memory: resized there, or resized here and
        // mirrored there; otherwise through the reused matrices and one bulk copy
        try (Mat view = new Mat(box.height(), box.width(), opencv_core.CV_8UC3, from, stride);
             Mat into = direct ? new Mat(outH, outW, opencv_core.CV_8UC3, output.at(dst, dstOffset)) : null) {
            // INTER_LINEAR rather than INTER_LINEAR_EXACT (the same bits on every CPU): 2-2.5x faster into
            // 224x224 (docs/BENCHMARKS.md); a CPU whose SIMD dispatch differs may round a value one apart
            opencv_imgproc.resize(view, direct && !mirror ? into : resized, size, 0, 0, opencv_imgproc.INTER_LINEAR);
            if (img.bgr()) {
                opencv_imgproc.cvtColor(resized, resized, opencv_imgproc.COLOR_BGR2RGB);
            }
            if (mirror) {
                opencv_core.flip(resized, direct ? into : flipped, 1);
            }
        }
        if (!direct) {
            dst.put(dstOffset, mirror ? flippedBytes : resizedBytes, 0, n);
        }
    }

    @Override
    public void close() {
        source.close();
        output.close();
        resized.close();
        flipped.close();
        size.close();
    }
}
