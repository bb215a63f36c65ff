package dev.sluice.data.image;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * OpenCV's {@code imdecode} through the JavaCPP presets: libjpeg-turbo (SIMD) for JPEG and libpng
 * for PNG, bundled in the {@code org.bytedeco:opencv} natives jar, so nothing is installed on the
 * system. Pixels come out in RGB order (libjpeg-turbo writes them so; no extra pass). Encoded bytes
 * in a direct buffer (a loader's shards and staging) are read where they lie; bytes on the Java heap
 * are first copied into a reused native buffer. The decoder keeps {@link NativeView}s of the last 16
 * direct buffers it read. The pixels go into a reused matrix; what OpenCV forces per call is one small
 * matrix header for the input and one for the result. Use {@link #available()} before
 * constructing one: the natives exist for a few platforms only.
 */
public final class OpenCvDecoder implements ImageDecoder {

    private final DecodedImage out = new DecodedImage();
    private final Mat decoded = new Mat();
    private BytePointer input = new BytePointer(0L);
    /**
     * The direct buffers last read in place: in a loader, one per shard loaded (a view of its slab),
     * drawn from the window of open shards (4 by default) in turn, and the batches' staging.
     */
    private final NativeView direct = new NativeView(16);

    /**
     * @throws IllegalStateException if OpenCV's natives cannot be loaded here (see {@link #available()})
     */
    public OpenCvDecoder() {
        String why = Probe.FAILURE;
        if (why != null) {
            throw new IllegalStateException("OpenCV's natives are not usable on this machine: " + why
                    + "; use the imageio decoder instead");
        }
    }

    /** Whether OpenCV's classes and natives load on this machine; probed once, never throws. */
    public static boolean available() {
        return Probe.FAILURE == null;
    }

    /** Why OpenCV is not available, or null when it is. */
    public static String unavailableReason() {
        return Probe.FAILURE;
    }

    @Override
    public String name() {
        return "opencv";
    }

    @Override
    public DecodedImage decode(ByteBuffer encoded, int offset, int n) throws ImageDecodeException {
        if (n == 0) {
            throw new ImageDecodeException("OpenCV was given 0 bytes to decode");
        }
        Objects.checkFromIndexSize(offset, n, encoded.limit());
        BytePointer bytes;
        if (encoded.isDirect()) {
            bytes = direct.at(encoded, offset);
        } else {
            if (input.capacity() < n) {
                input.close();
                input = new BytePointer(Math.max(n, input.capacity() * 3 / 2));
            }
            input.position(0).limit(n);
            input.asBuffer().put(0, encoded, offset, n);
            bytes = input;
        }
        try (Mat buf = new Mat(1, n, opencv_core.CV_8UC1, bytes);
             Mat result = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR_RGB, decoded)) {
            // on failure OpenCV returns an empty matrix and leaves the destination as it was (holding
            // the previous image), so the result is what tells
            if (result.empty() || decoded.empty() || decoded.channels() != 3 || decoded.depth() != opencv_core.CV_8U) {
                throw new ImageDecodeException("OpenCV could not decode " + n + " bytes (corrupt, truncated,"
                        + " or neither JPEG nor PNG)");
            }
        } catch (RuntimeException e) {
            // OpenCV reports some broken streams as a cv::Exception, surfaced as a RuntimeException
            throw new ImageDecodeException("OpenCV could not decode " + n + " bytes: " + e.getMessage(), e);
        }
        int w = decoded.cols();
        int h = decoded.rows();
        if (!decoded.isContinuous()) {
            throw new ImageDecodeException("OpenCV returned a non-contiguous " + w + "x" + h + " image");
        }
        ByteBuffer px = decoded.data().capacity((long) w * h * 3).asBuffer();
        out.set(px, w, h, false);
        return out;
    }

    @Override
    public void close() {
        decoded.close();
        input.close();
        direct.close();
    }

    /** Loads OpenCV once, on first use, so a missing native never fails class loading elsewhere. */
    private static final class Probe {
        static final String FAILURE = probe();

        private static String probe() {
            try {
                org.bytedeco.javacpp.Loader.load(opencv_imgcodecs.class);
                return null;
            } catch (Throwable e) {
                // UnsatisfiedLinkError, NoClassDefFoundError (jar absent), ExceptionInInitializerError:
                // all mean "not here"; the caller falls back to ImageIO and says why
                return e.toString();
            }
        }
    }
}
