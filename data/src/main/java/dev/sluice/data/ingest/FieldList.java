package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses a field list such as {@code text:string,label:int64,ids:int32[]}: a name and a type per
 * field, where the type is {@code string}, a numeric dtype (a scalar), or a numeric dtype followed
 * by {@code []} (a variable-length sequence).
 */
public final class FieldList {

    private FieldList() {}

    /**
     * @throws IllegalArgumentException naming the entry that is malformed and the types allowed
     */
    public static List<FieldSpec> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--fields is required: NAME:TYPE,... e.g. text:string,label:int64");
        }
        List<FieldSpec> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            int colon = p.lastIndexOf(':');
            if (colon <= 0 || colon == p.length() - 1) {
                throw new IllegalArgumentException("--fields entry '" + p + "' is not NAME:TYPE (e.g. label:int64)");
            }
            String name = p.substring(0, colon);
            String type = p.substring(colon + 1);
            if (!seen.add(name)) {
                throw new IllegalArgumentException("--fields names '" + name + "' twice");
            }
            boolean seq = type.endsWith("[]");
            DType t = DType.fromJsonName(seq ? type.substring(0, type.length() - 2) : type);
            if (t == null || t == DType.BYTES || t == DType.FLOAT16 || t == DType.BFLOAT16 || (seq && !t.numeric())) {
                throw new IllegalArgumentException("--fields entry '" + p + "': type must be string, one of"
                        + " uint8 int8 int16 int32 int64 uint16 uint32 uint64 float32 float64, or such a type"
                        + " followed by [] for a sequence");
            }
            out.add(t == DType.STRING ? FieldSpec.string(name) : seq ? FieldSpec.sequence(name, t) : FieldSpec.of(name, t));
        }
        return out;
    }
}
