package dev.sluice.data.format;

/** Element types of tensor fields, with their on-disk codes (see docs/FORMAT.md). */
public enum DType {
    UINT8(1, "uint8", 1),
    INT8(2, "int8", 1),
    INT16(3, "int16", 2),
    INT32(4, "int32", 4),
    INT64(5, "int64", 8),
    FLOAT16(6, "float16", 2),
    BFLOAT16(7, "bfloat16", 2),
    FLOAT32(8, "float32", 4),
    FLOAT64(9, "float64", 8);

    private final int code;
    private final String jsonName;
    private final int bytes;

    DType(int code, String jsonName, int bytes) {
        this.code = code;
        this.jsonName = jsonName;
        this.bytes = bytes;
    }

    /** Code stored in a shard's field table. */
    public int code() {
        return code;
    }

    /** Name used in manifest.json. */
    public String jsonName() {
        return jsonName;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The type with that shard code, or null if unknown. */
    public static DType fromCode(int code) {
        for (DType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** The type with that manifest name, or null if unknown. */
    public static DType fromJsonName(String name) {
        for (DType t : values()) {
            if (t.jsonName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
