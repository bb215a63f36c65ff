package dev.sluice.data.format;

/** Per-field compression of sample values (see docs/FORMAT.md). */
public enum Compression {
    /** Values stored as is; sample {@code i} lives at {@code section + i * sampleBytes}. */
    NONE(0, "none"),
    /** Each sample's value is one zstd frame; an offsets table locates the frames. */
    ZSTD(1, "zstd");

    private final int code;
    private final String jsonName;

    Compression(int code, String jsonName) {
        this.code = code;
        this.jsonName = jsonName;
    }

    public int code() {
        return code;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Compression fromCode(int code) {
        for (Compression c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    public static Compression fromJsonName(String name) {
        for (Compression c : values()) {
            if (c.jsonName.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
