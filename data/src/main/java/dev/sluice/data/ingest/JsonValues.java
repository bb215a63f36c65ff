package dev.sluice.data.ingest;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Converts JSON values to field values (little-endian elements), range-checked. */
final class JsonValues {

    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private JsonValues() {}

    /**
     * @param where {@code file:line} for messages
     * @throws InputException naming the line, the field and what the value should be
     */
    static ByteBuffer encode(FieldSpec f, JsonElement v, String where) throws InputException {
        if (v == null || v.isJsonNull()) {
            throw new InputException(where + ": field '" + f.name() + "' is missing or null; every line needs it");
        }
        if (f.dtype() == DType.STRING) {
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new InputException(where + ": field '" + f.name() + "' should be a string, not " + v);
            }
            return ByteBuffer.wrap(v.getAsString().getBytes(StandardCharsets.UTF_8));
        }
        if (f.variable()) {
            if (!v.isJsonArray()) {
                throw new InputException(where + ": field '" + f.name() + "' should be an array of "
                        + f.dtype().jsonName() + ", not " + v);
            }
            JsonArray a = v.getAsJsonArray();
            ByteBuffer out = ByteBuffer.allocate(a.size() * f.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < a.size(); i++) {
                put(out, f, a.get(i), where + " [" + i + "]");
            }
            return out.flip();
        }
        ByteBuffer out = ByteBuffer.allocate(f.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        put(out, f, v, where);
        return out.flip();
    }

    private static void put(ByteBuffer out, FieldSpec f, JsonElement v, String where) throws InputException {
        if (!v.isJsonPrimitive() || !((JsonPrimitive) v).isNumber()) {
            throw new InputException(where + ": field '" + f.name() + "' should be a number (" + f.dtype().jsonName()
                    + "), not " + v);
        }
        BigDecimal d = v.getAsBigDecimal();
        DType t = f.dtype();
        if (t == DType.FLOAT32) {
            out.putFloat(d.floatValue());
            return;
        }
        if (t == DType.FLOAT64) {
            out.putDouble(d.doubleValue());
            return;
        }
        BigInteger i;
        try {
            i = d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new InputException(where + ": field '" + f.name() + "' is " + v + ", not an integer (" + t.jsonName() + ")");
        }
        BigInteger min;
        BigInteger max;
        switch (t) {
            case UINT8, UINT16, UINT32 -> {
                min = BigInteger.ZERO;
                max = BigInteger.ONE.shiftLeft(8 * t.bytes()).subtract(BigInteger.ONE);
            }
            case UINT64 -> {
                min = BigInteger.ZERO;
                max = U64_MAX;
            }
            default -> {
                min = BigInteger.ONE.shiftLeft(8 * t.bytes() - 1).negate();
                max = BigInteger.ONE.shiftLeft(8 * t.bytes() - 1).subtract(BigInteger.ONE);
            }
        }
        if (i.compareTo(min) < 0 || i.compareTo(max) > 0) {
            throw new InputException(where + ": field '" + f.name() + "' is " + v + ", out of range for " + t.jsonName());
        }
        long x = i.longValue();
        switch (t.bytes()) {
            case 1 -> out.put((byte) x);
            case 2 -> out.putShort((short) x);
            case 4 -> out.putInt((int) x);
            default -> out.putLong(x);
        }
    }
}
