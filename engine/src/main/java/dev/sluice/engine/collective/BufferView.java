package dev.sluice.engine.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Native-order views over a caller's region (position..limit), indexed from 0. The views are kept
 * while the caller passes the same buffer object with the same region again, which a trainer does
 * for its gradient buckets, so steady-state calls allocate nothing.
 *
 * <p>Typed views are created by the owning rank ({@link #prepare}) before the view is handed to other
 * threads; readers use absolute bulk operations only, so sharing is safe once published through a
 * barrier.
 */
final class BufferView {
    private ByteBuffer source;
    private int position;
    private int limit;

    private ByteBuffer bytes;
    private ByteBuffer sendSide;
    private ByteBuffer recvSide;
    private FloatBuffer floats;
    private DoubleBuffer doubles;
    private IntBuffer ints;
    private LongBuffer longs;

    /** Binds to the caller's region, reusing the views when nothing changed. */
    void bind(ByteBuffer data) {
        if (data == source && data.position() == position && data.limit() == limit) {
            return;
        }
        source = data;
        position = data.position();
        limit = data.limit();
        bytes = data.duplicate().position(position).limit(limit).slice().order(ByteOrder.nativeOrder());
        sendSide = null;
        recvSide = null;
        floats = null;
        doubles = null;
        ints = null;
        longs = null;
    }

    /** Creates the typed view for {@code type} (by the owning thread, before sharing). */
    void prepare(ElementType type) {
        switch (type) {
            case FLOAT32 -> {
                if (floats == null) {
                    floats = bytes.asFloatBuffer();
                }
            }
            case FLOAT64 -> {
                if (doubles == null) {
                    doubles = bytes.asDoubleBuffer();
                }
            }
            case INT32 -> {
                if (ints == null) {
                    ints = bytes.asIntBuffer();
                }
            }
            case INT64 -> {
                if (longs == null) {
                    longs = bytes.asLongBuffer();
                }
            }
            case UINT8 -> {
                // bytes() serves
            }
            default -> throw new IllegalArgumentException("element type " + type + " is not supported by CPU collectives");
        }
    }

    /** Drops every reference to the caller's memory. */
    void clear() {
        source = null;
        bytes = null;
        sendSide = null;
        recvSide = null;
        floats = null;
        doubles = null;
        ints = null;
        longs = null;
    }

    /** The region, index 0 = caller's position; use absolute operations only. */
    ByteBuffer bytes() {
        return bytes;
    }

    /** A second view whose position/limit the sending side moves (channel writes). */
    ByteBuffer sendSide() {
        if (sendSide == null) {
            sendSide = bytes.duplicate();
        }
        return sendSide;
    }

    /** A third view whose position/limit the receiving side moves (channel reads). */
    ByteBuffer recvSide() {
        if (recvSide == null) {
            recvSide = bytes.duplicate();
        }
        return recvSide;
    }

    FloatBuffer floats() {
        return floats;
    }

    DoubleBuffer doubles() {
        return doubles;
    }

    IntBuffer ints() {
        return ints;
    }

    LongBuffer longs() {
        return longs;
    }
}
