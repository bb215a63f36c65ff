package dev.sluice.data.transform;

import java.util.function.DoubleSupplier;

/**
 * The crop box of torchvision's {@code RandomResizedCrop}: up to 10 attempts to draw an area
 * fraction in {@code scale} and a log-uniform aspect ratio in {@code ratio} whose box fits the image,
 * at a uniformly drawn position; if none fits, the largest centred box whose ratio lies within
 * {@code ratio}. The caller resizes the box to the output size.
 *
 * <p>Each attempt takes three or four uniform draws from {@code u} in order: area fraction
 * {@code scaleMin + u*(scaleMax-scaleMin)}, log ratio {@code ln(ratioMin) + u*(ln(ratioMax)-ln(ratioMin))},
 * and when the box fits, top {@code floor(u * (H - h + 1))} and left {@code floor(u * (W - w + 1))}.
 * Box sides are {@code w = rint(sqrt(area * ratio))}, {@code h = rint(sqrt(area / ratio))}
 * (round half to even, as Python's {@code round}).
 */
public final class RandomResizedCrop {

    /** torchvision's default area fraction range. */
    public static final double SCALE_MIN = 0.08;
    public static final double SCALE_MAX = 1.0;
    /** torchvision's default aspect ratio range. */
    public static final double RATIO_MIN = 3.0 / 4.0;
    public static final double RATIO_MAX = 4.0 / 3.0;
    /** Attempts before the centre-crop fallback. */
    public static final int ATTEMPTS = 10;

    private RandomResizedCrop() {
    }

    /** The box with torchvision's default scale and ratio ranges. */
    public static CropBox box(int height, int width, DoubleSupplier u) {
        return box(height, width, SCALE_MIN, SCALE_MAX, RATIO_MIN, RATIO_MAX, u);
    }

    /** The box for an image of {@code height x width}, drawing from {@code u}. */
    public static CropBox box(int height, int width, double scaleMin, double scaleMax, double ratioMin,
                              double ratioMax, DoubleSupplier u) {
        double area = (double) height * width;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double target = area * (scaleMin + u.getAsDouble() * (scaleMax - scaleMin));
            double aspect = Math.exp(logMin + u.getAsDouble() * (logMax - logMin));
            int w = (int) Math.rint(Math.sqrt(target * aspect));
            int h = (int) Math.rint(Math.sqrt(target / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = (int) (u.getAsDouble() * (height - h + 1));
                int left = (int) (u.getAsDouble() * (width - w + 1));
                return new CropBox(top, left, h, w);
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }
}
