package dev.sluice.engine.device;

import jcuda.Pointer;

/**
 * A JCuda pointer whose raw address can be read and written: JCuda keeps both protected, while
 * tensors and kernels deal in plain addresses. Works for device and host addresses alike.
 */
public final class DevicePointer extends Pointer {

    /** A null pointer, for calls such as {@code cudaMalloc} that fill it in. */
    public DevicePointer() {
        super();
    }

    /** A pointer to {@code address}. */
    public DevicePointer(long address) {
        super(address);
    }

    /** The address this pointer holds (0 when null). */
    public long address() {
        return getNativePointer();
    }
}
