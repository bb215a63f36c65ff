package dev.sluice.data.format;

/**
 * Element types of fields, with their on-disk codes (see docs/FORMAT.md). {@link #BYTES} and
 * {@link #STRING} (format 1.1) are one-byte elements of variable-length values only: opaque bytes
 * and UTF-8 text.
 */
public enum DType {
    UINT8(1, "uint8", 1),
    INT8(2, "int8", 1),
    INT16(3, "int16", 2),
    INT32(4, "int32", 4),
    INT64(5, "int64", 8),
    FLOAT16(6, "float16", 2),
    BFLOAT16(7, "bfloat16", 2),
    FLOAT32(8, "float32", 4),
    FLOAT64(9, "float64", 8),
    /** Unsigned 16-bit integer (format 1.1), e.g. token ids of a vocabulary under 65,536. */
    UINT16(12, "uint16", 2),
    /** Unsigned 32-bit integer (format 1.1). */
    UINT32(13, "uint32", 4),
    /** Unsigned 64-bit integer (format 1.1). */
    UINT64(14, "uint64", 8),
    /** Opaque bytes, optionally in a named encoding such as {@code jpeg}; variable-length fields only. */
    BYTES(10, "bytes", 1),
    /** UTF-8 text; variable-length fields only. */
    STRING(11, "string", 1);

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

    /** Whether this is a numeric tensor element type (every type but {@link #BYTES} and {@link #STRING}). */
    public boolean numeric() {
        return this != BYTES && this != STRING;
    }

    /** Whether this type was added in format 1.1 (a 1.0 reader rejects it as an unknown dtype). */
    public boolean since11() {
        return code >= BYTES.code;
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
