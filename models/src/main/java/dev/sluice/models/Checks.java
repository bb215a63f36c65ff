package dev.sluice.models;

import java.util.Arrays;
import java.util.Optional;

/** Shape checks shared by the image networks; each returns the reason an input does not fit. */
final class Checks {
    private Checks() {}

    /** Fits any float field; token ids need an embedding first. */
    static Optional<String> dense(InputSpec in) {
        if (in.kind() != InputSpec.Kind.DENSE) {
            return Optional.of("a float field (an image or a feature vector), not token ids");
        }
        return Optional.empty();
    }

    /**
     * Fits a float {@code [C, H, W]} field with both sides at least {@code minSide}, that does not
     * look like a channels-last image passed as CHW.
     */
    static Optional<String> image(InputSpec in, int minSide) {
        if (in.kind() != InputSpec.Kind.DENSE) {
            return Optional.of("a float image field [C, H, W], not token ids");
        }
        if (!in.isImage()) {
            return Optional.of("a float image field [C, H, W] (rank 3), but this field has rank "
                    + in.rank());
        }
        long[] d = in.dims();
        if (looksChannelsLast(d)) {
            return Optional.of("channels first [C, H, W], and " + Arrays.toString(d)
                    + " looks channels-last [H, W, C]; declare the field's layout HWC so the"
                    + " engine feeds [" + d[2] + ", " + d[0] + ", " + d[1] + "]");
        }
        if (d[1] < minSide || d[2] < minSide) {
            return Optional.of("images of at least " + minSide + "x" + minSide
                    + " pixels (H x W), but this field is " + d[1] + "x" + d[2]);
        }
        return Optional.empty();
    }

    /** Many channels but a last side that is a typical channel count: most likely HWC. */
    private static boolean looksChannelsLast(long[] chw) {
        long c = chw[0];
        long w = chw[2];
        return c > 4 && (w == 1 || w == 3 || w == 4);
    }
}
