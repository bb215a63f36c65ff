package dev.sluice.data.transform;

/**
 * How the bytes of one stored uint8 image sample are ordered. A batch is always {@code N} such
 * samples back to back; transforms always produce float32 {@code N x C x H x W}.
 */
public enum Layout {
    /** Height, width, channels: pixel-interleaved, as image files decode. */
    HWC(0),
    /** Channels, height, width: planar, as tensors are fed to convolutions. */
    CHW(1);

    private final int code;

    Layout(int code) {
        this.code = code;
    }

    /** The number the CUDA kernels take for this layout ({@code SLUICE_LAYOUT_*} in sluice_transform.cuh). */
    public int code() {
        return code;
    }
}
