package dev.sluice.data.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * Expands WebDataset-style shard patterns: {@code {000000..000146}} is a numeric range (zero-padded
 * to the width of its first bound when that has leading zeros) and {@code {a,b,c}} a list; several
 * groups multiply out, left to right.
 */
public final class BracePattern {

    private BracePattern() {}

    /**
     * @throws IllegalArgumentException naming the pattern if a brace is unclosed or a range is reversed
     */
    public static List<String> expand(String pattern) {
        int open = pattern.indexOf('{');
        if (open < 0) {
            return List.of(pattern);
        }
        int close = pattern.indexOf('}', open);
        if (close < 0) {
            throw new IllegalArgumentException("pattern '" + pattern + "' has an unclosed '{'");
        }
        String body = pattern.substring(open + 1, close);
        String head = pattern.substring(0, open);
        List<String> tails = expand(pattern.substring(close + 1));
        List<String> items = new ArrayList<>();
        int dots = body.indexOf("..");
        if (dots >= 0 && body.substring(0, dots).matches("\\d+") && body.substring(dots + 2).matches("\\d+")) {
            String a = body.substring(0, dots);
            long from = Long.parseLong(a);
            long to = Long.parseLong(body.substring(dots + 2));
            if (to < from) {
                throw new IllegalArgumentException("pattern '" + pattern + "': range {" + body + "} runs backwards");
            }
            String fmt = a.length() > 1 && a.startsWith("0") ? "%0" + a.length() + "d" : "%d";
            for (long i = from; i <= to; i++) {
                items.add(String.format(fmt, i));
            }
        } else {
            for (String s : body.split(",", -1)) {
                items.add(s);
            }
        }
        List<String> out = new ArrayList<>();
        for (String i : items) {
            for (String t : tails) {
                out.add(head + i + t);
            }
        }
        return out;
    }
}
