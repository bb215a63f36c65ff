package dev.sluice.engine.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** The median pass of one mode among a benchmark's alternating passes, by throughput. */
final class Medians {

    private Medians() {}

    /**
     * @throws IllegalArgumentException if no pass has that mode
     */
    static <T> T byThroughput(List<T> all, String mode, Function<T, String> modeOf, ToDoubleFunction<T> mbPerSecond) {
        List<T> m = new ArrayList<>(all.stream().filter(x -> modeOf.apply(x).equals(mode)).toList());
        if (m.isEmpty()) {
            throw new IllegalArgumentException("no '" + mode + "' measurement");
        }
        m.sort(Comparator.comparingDouble(mbPerSecond));
        return m.get(m.size() / 2);
    }
}
