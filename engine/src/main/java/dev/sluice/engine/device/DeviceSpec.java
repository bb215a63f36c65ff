package dev.sluice.engine.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code --devices} value.
 *
 * <ul>
 *   <li>{@code auto} (default): every GPU when CUDA and DJL's PyTorch engine can both use them,
 *       else one CPU replica;
 *   <li>{@code cpu}, {@code cpu:N}: N CPU replicas (default 1);
 *   <li>{@code cuda}: every GPU; {@code cuda:0,1}: those GPUs ({@code gpu}, {@code gpu:N} are accepted too).
 * </ul>
 *
 * @param kind what was asked for
 * @param cpuReplicas replicas for {@link Kind#CPU}, else 0
 * @param gpus GPU ordinals for {@link Kind#CUDA}; empty means all
 */
public record DeviceSpec(Kind kind, int cpuReplicas, List<Integer> gpus) {

    /** Largest {@code cpu:N}: more replicas than this is a typo, not a plan. */
    public static final int MAX_CPU_REPLICAS = 1024;

    /** What a spec asks for. */
    public enum Kind { AUTO, CPU, CUDA }

    public DeviceSpec {
        gpus = List.copyOf(gpus);
    }

    /**
     * Parses a {@code --devices} value (case-insensitive, spaces ignored).
     *
     * @throws IllegalArgumentException naming the value and listing the accepted forms
     */
    public static DeviceSpec parse(String spec) {
        if (spec == null) {
            throw bad(null, "no value");
        }
        String s = spec.replace(" ", "").toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return new DeviceSpec(Kind.AUTO, 0, List.of());
        }
        if (s.equals("cpu")) {
            return new DeviceSpec(Kind.CPU, 1, List.of());
        }
        if (s.equals("cuda") || s.equals("gpu")) {
            return new DeviceSpec(Kind.CUDA, 0, List.of());
        }
        if (s.startsWith("cpu:")) {
            int n = number(spec, s.substring(4), "the number of CPU replicas");
            if (n < 1 || n > MAX_CPU_REPLICAS) {
                throw bad(spec, "the number of CPU replicas must be in [1, " + MAX_CPU_REPLICAS + "]");
            }
            return new DeviceSpec(Kind.CPU, n, List.of());
        }
        if (s.startsWith("cuda:") || s.startsWith("gpu:")) {
            String list = s.substring(s.indexOf(':') + 1);
            if (list.isEmpty()) {
                throw bad(spec, "no GPU index after the colon");
            }
            List<Integer> ids = new ArrayList<>();
            for (String part : list.split(",", -1)) {
                int id = number(spec, part, "a GPU index");
                if (ids.contains(id)) {
                    throw bad(spec, "GPU " + id + " is listed twice");
                }
                ids.add(id);
            }
            return new DeviceSpec(Kind.CUDA, 0, ids);
        }
        throw bad(spec, "unknown device kind");
    }

    private static int number(String spec, String text, String what) {
        if (text.isEmpty() || !text.chars().allMatch(Character::isDigit) || text.length() > 9) {
            throw bad(spec, "'" + text + "' is not " + what + " (a non-negative integer)");
        }
        return Integer.parseInt(text);
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("--devices " + (spec == null ? "" : "'" + spec + "' ") + "is not valid ("
                + why + "); use auto, cpu, cpu:N (N CPU replicas), cuda (all GPUs) or cuda:0,1 (those GPUs)");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> cpuReplicas == 1 ? "cpu" : "cpu:" + cpuReplicas;
            case CUDA -> gpus.isEmpty() ? "cuda"
                    : "cuda:" + String.join(",", gpus.stream().map(String::valueOf).toList());
        };
    }
}
