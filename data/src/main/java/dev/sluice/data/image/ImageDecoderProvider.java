package dev.sluice.data.image;

/**
 * A decoder implemented outside this module, found with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/dev.sluice.data.image.ImageDecoderProvider} entry): the way a decoder
 * that needs CUDA (the engine's nvJPEG decoder) is chosen by name here while {@code data} stays free
 * of CUDA. Constructing a provider must touch no native code; {@link #unavailableReason()} is where
 * it probes.
 */
public interface ImageDecoderProvider {

    /** The name {@code --decoder} selects it by, lower case (e.g. {@code nvjpeg}). */
    String name();

    /**
     * Why this decoder cannot be used in this process (a message for the user that names what is
     * missing and how to provide it), or null when it can. Probes once; never throws.
     */
    String unavailableReason();

    /**
     * A new per-thread decoder.
     *
     * @throws IllegalStateException if {@link #unavailableReason()} is not null
     */
    ImageDecoder create();
}
