package dev.sluice.engine.device;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.loader.HostBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns a batch's stored integer class ids (little-endian, any integer width) into int64 in native
 * order, checking that every id is a valid class: an out-of-range id would fail the loss deep inside
 * PyTorch (on a GPU, as a device assert that kills the CUDA context).
 */
final class LabelConverter {

    private final FieldSpec field;
    private final int numClasses;

    /**
     * @param field the label field (an integer scalar)
     * @param numClasses valid ids are {@code [0, numClasses)}; 0 disables the check
     * @throws IllegalArgumentException if the field is not an integer scalar
     */
    LabelConverter(FieldSpec field, int numClasses) {
        if (field.shape().length != 0 || !isInteger(field.dtype())) {
            throw new IllegalArgumentException("label field '" + field.name() + "' is " + field.dtype() + " of shape "
                    + java.util.Arrays.toString(field.shape()) + "; labels must be integer scalars (class ids)");
        }
        this.field = field;
        this.numClasses = numClasses;
    }

    private static boolean isInteger(DType t) {
        return t == DType.UINT8 || t == DType.INT8 || t == DType.INT16 || t == DType.INT32 || t == DType.INT64;
    }

    /**
     * Writes the first {@code n} labels of {@code batch}'s field {@code fieldIndex} into
     * {@code out} as int64 from index 0.
     *
     * @throws IllegalArgumentException naming the sample when an id is outside {@code [0, numClasses)}
     */
    void convert(HostBatch batch, int fieldIndex, int n, ByteBuffer out) {
        ByteBuffer in = batch.buffer(fieldIndex).duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = out.duplicate().order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            long v = switch (field.dtype()) {
                case UINT8 -> in.get(i) & 0xFFL;
                case INT8 -> in.get(i);
                case INT16 -> in.getShort(2 * i);
                case INT32 -> in.getInt(4 * i);
                case INT64 -> in.getLong(8 * i);
                default -> throw new AssertionError(field.dtype());
            };
            if (numClasses > 0 && (v < 0 || v >= numClasses)) {
                throw new IllegalArgumentException("sample " + batch.sampleId(i) + " has label " + v + " in field '"
                        + field.name() + "', outside the " + numClasses + " classes [0, " + numClasses + ")");
            }
            dst.putLong(8 * i, v);
        }
    }
}
