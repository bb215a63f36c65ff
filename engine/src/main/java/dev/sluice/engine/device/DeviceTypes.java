package dev.sluice.engine.device;

import ai.djl.ndarray.types.DataType;
import dev.sluice.data.format.DType;

/** Maps dataset element types to DJL's. */
public final class DeviceTypes {

    private DeviceTypes() {}

    /**
     * The DJL type of a dataset element type.
     *
     * @throws IllegalArgumentException for bytes and strings, which have no tensor type until decoded
     */
    public static DataType of(DType t) {
        return switch (t) {
            case UINT8 -> DataType.UINT8;
            case INT8 -> DataType.INT8;
            case INT16 -> DataType.INT16;
            case INT32 -> DataType.INT32;
            case INT64 -> DataType.INT64;
            case FLOAT16 -> DataType.FLOAT16;
            case BFLOAT16 -> DataType.BFLOAT16;
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
            case UINT16 -> DataType.UINT16;
            case UINT32 -> DataType.UINT32;
            case UINT64 -> DataType.UINT64;
            case BYTES, STRING -> throw new IllegalArgumentException(t.jsonName()
                    + " values are not tensors: decode them (images, text) before they reach a device");
        };
    }
}
