package dev.sluice.engine.nvjpeg;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * nvJPEG's output descriptor {@code nvjpegImage_t}: {@code unsigned char *channel[4]} then
 * {@code size_t pitch[4]} (64 bytes on linux-x86_64). For interleaved output only
 * {@code channel[0]} and {@code pitch[0]} are used. Public only because JNA reads the fields
 * reflectively; not part of Sluice's API.
 */
@Structure.FieldOrder({"channel", "pitch"})
public final class NvjpegImage extends Structure {

    /** Device addresses of the output planes. */
    public Pointer[] channel = new Pointer[NvjpegLibrary.MAX_COMPONENT];

    /** Bytes per row of each plane. */
    public long[] pitch = new long[NvjpegLibrary.MAX_COMPONENT];

    /** Points plane 0 at {@code deviceAddress} with rows of {@code rowBytes}; clears the others. */
    void interleaved(long deviceAddress, long rowBytes) {
        for (int c = 0; c < NvjpegLibrary.MAX_COMPONENT; c++) {
            channel[c] = c == 0 ? new Pointer(deviceAddress) : null;
            pitch[c] = c == 0 ? rowBytes : 0;
        }
    }

    /** Byte offset of {@code pitch} as JNA lays the structure out (for the layout test). */
    long pitchOffset() {
        return fieldOffset("pitch");
    }
}
