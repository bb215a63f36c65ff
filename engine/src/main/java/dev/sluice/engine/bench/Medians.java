package dev.sluice.engine.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Medians of benchmark figures: of a list of values, and the median pass of one mode by throughput. */
public final class Medians {

    private Medians() {}

    /**
     * The median of {@code values} (the upper one of an even count); sorts {@code values} in place.
     *
     * @throws IllegalArgumentException if there are none
     */
    public static double of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        java.util.Arrays.sort(values);
        return values[values.length / 2];
    }

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
