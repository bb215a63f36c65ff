package dev.sluice.data.image;

import dev.sluice.data.transform.CenterCrop;
import dev.sluice.data.transform.CropBox;
import dev.sluice.data.transform.RandomResizedCrop;
import dev.sluice.data.transform.SampleDraws;
import java.nio.ByteBuffer;

/**
 * One sample through the geometry of an {@link ImageStage}: the crop box (drawn with
 * {@link SampleDraws} for random-resized-crop), bilinear resize into the output, then a flip when
 * the next draw is below 0.5. A pure function of (decoded pixels, stage, seed, epoch, sample id,
 * {@link Resampler}).
 */
public final class ImageAugment {

    private ImageAugment() {
    }

    /**
     * Writes sample {@code sampleId}'s {@code stage.height() x stage.width() x 3} RGB output at
     * {@code dstOffset} of {@code dst}.
     *
     * @param draws reused scratch, reset here for this sample
     */
    public static void apply(DecodedImage img, ImageStage stage, long seed, long epoch, long sampleId,
                             SampleDraws draws, ByteBuffer dst, int dstOffset) {
        apply(img, stage, seed, epoch, sampleId, draws, Resampler.JAVA, dst, dstOffset);
    }

    /** As above, resampling with {@code resampler}. */
    public static void apply(DecodedImage img, ImageStage stage, long seed, long epoch, long sampleId,
                             SampleDraws draws, Resampler resampler, ByteBuffer dst, int dstOffset) {
        draws.reset(seed, epoch, sampleId);
        CropBox box = switch (stage.crop()) {
            case RESIZE -> CropBox.whole(img.height(), img.width());
            case CENTER -> CenterCrop.box(img.height(), img.width(), stage.height(), stage.width(),
                    CenterCrop.IMAGENET_FRACTION);
            case RANDOM_RESIZED -> RandomResizedCrop.box(img.height(), img.width(), draws);
        };
        boolean mirror = stage.flip() && draws.getAsDouble() < 0.5;
        resampler.resample(img, box, mirror, dst, dstOffset, stage.height(), stage.width());
    }
}
