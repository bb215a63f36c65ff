package dev.sluice.engine.collective;

import java.nio.ByteBuffer;

/** Argument checks shared by the CPU implementations. */
final class Checks {

    private Checks() {
    }

    /** Validates a region for {@code what} and returns its length in bytes. */
    static int region(String what, ByteBuffer data, ElementType type, boolean mustWrite) {
        if (data == null) {
            throw new IllegalArgumentException(what + ": buffer is null");
        }
        if (!data.isDirect()) {
            throw new IllegalArgumentException(what + " needs a direct ByteBuffer (got a heap buffer):"
                    + " allocate it with ByteBuffer.allocateDirect or a HostAllocator");
        }
        if (mustWrite && data.isReadOnly()) {
            throw new IllegalArgumentException(what + " writes the result into the buffer, but it is read-only");
        }
        int bytes = data.remaining();
        if (type != null && bytes % type.bytes() != 0) {
            throw new IllegalArgumentException(what + ": region of " + bytes + " bytes is not a whole number of "
                    + type + " elements (" + type.bytes() + " bytes each)");
        }
        return bytes;
    }

    static void root(String what, int root, int worldSize) {
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException(what + ": root " + root + " is not a rank in [0, " + worldSize + ")");
        }
    }

    /** First element of segment {@code i} when {@code count} elements are split into {@code parts}. */
    static int segmentStart(int count, int i, int parts) {
        return (int) ((long) count * i / parts);
    }
}
