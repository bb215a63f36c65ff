package dev.sluice.engine.nvjpeg;

import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoderProvider;
import dev.sluice.data.image.ImageDecoders;

/**
 * Registers {@code nvjpeg} with {@link ImageDecoders} (through {@code META-INF/services}), so
 * {@code --decoder nvjpeg} and {@code ImageStage.withDecoder("nvjpeg", n)} reach
 * {@link NvjpegDecoder} while the data module stays free of CUDA. Constructing it touches no native
 * code; the first {@link #unavailableReason()} loads nvJPEG and probes CUDA.
 */
public final class NvjpegDecoderProvider implements ImageDecoderProvider {

    @Override
    public String name() {
        return "nvjpeg";
    }

    @Override
    public String unavailableReason() {
        return Nvjpeg.unavailableReason();
    }

    /** A decoder on cuda:0, with the {@code auto} CPU decoder for the images nvJPEG does not read. */
    @Override
    public ImageDecoder create() {
        return new NvjpegDecoder(0, ImageDecoders.factory("auto"));
    }
}
