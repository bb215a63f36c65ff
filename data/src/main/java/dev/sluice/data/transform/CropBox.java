package dev.sluice.data.transform;

/**
 * A rectangle of an image in pixels: rows {@code top .. top+height-1}, columns
 * {@code left .. left+width-1}.
 */
public record CropBox(int top, int left, int height, int width) {

    /** The whole {@code height x width} image. */
    public static CropBox whole(int height, int width) {
        return new CropBox(0, 0, height, width);
    }
}
