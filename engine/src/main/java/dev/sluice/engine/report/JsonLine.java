package dev.sluice.engine.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object on one line: how {@code metrics.jsonl} and every {@code --json} output are written.
 * A number that is NaN or infinite (a loss that diverged, an accuracy with no samples) is written as
 * {@code null}: JSON has no NaN, and strict parsers (Python's {@code json} with
 * {@code parse_constant} unset aside, jq, JavaScript) reject the bare literal. Readers of
 * {@link RunMetrics} take {@code null} as NaN.
 */
public final class JsonLine {

    private static final Gson GSON = new GsonBuilder().serializeNulls().create();

    private JsonLine() {}

    /** The fields as a single-line JSON object, in their order; non-finite numbers as {@code null}. */
    public static String encode(Map<String, Object> fields) {
        Map<String, Object> clean = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            boolean nonFinite = (v instanceof Double d && !Double.isFinite(d))
                    || (v instanceof Float f && !Float.isFinite(f));
            clean.put(e.getKey(), nonFinite ? null : v);
        }
        return GSON.toJson(clean);
    }
}
