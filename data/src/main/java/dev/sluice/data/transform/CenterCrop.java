package dev.sluice.data.transform;

/**
 * The evaluation crop of ImageNet-style pipelines ({@code Resize(size / fraction)} then
 * {@code CenterCrop(size)}), expressed as a box of the original image that the caller resizes to the
 * output size: the centred box with the output's aspect ratio covering {@code fraction} of the
 * largest such box that fits. With {@code fraction = 1} and a square output that is the centred
 * square of side {@code min(H, W)}.
 */
public final class CenterCrop {

    /** torchvision's reference evaluation fraction: 224 of 256. */
    public static final double IMAGENET_FRACTION = 0.875;

    private CenterCrop() {
    }

    /**
     * @param height image height
     * @param width image width
     * @param outHeight output height (only the ratio matters)
     * @param outWidth output width
     * @param fraction in {@code (0, 1]}
     */
    public static CropBox box(int height, int width, int outHeight, int outWidth, double fraction) {
        double fitH = Math.min(height, (double) width * outHeight / outWidth);
        int h = Math.max(1, (int) Math.rint(fitH * fraction));
        int w = Math.max(1, Math.min(width, (int) Math.rint((double) h * outWidth / outHeight)));
        h = Math.min(h, height);
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }
}
