package dev.sluice.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line options of the examples; a name may repeat. */
final class Args {

    private final Map<String, List<String>> values = new HashMap<>();

    Args(String[] args, List<String> known) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !known.contains(a.substring(2))) {
                throw new IllegalArgumentException("unknown option '" + a + "'; options: --" + String.join(", --", known));
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            values.computeIfAbsent(a.substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
    }

    String get(String name, String dflt) {
        List<String> v = values.get(name);
        return v == null ? dflt : v.get(v.size() - 1);
    }

    int getInt(String name, int dflt) {
        String v = get(name, null);
        try {
            return v == null ? dflt : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a whole number, got '" + v + "'", e);
        }
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** An example's body: what it does with its arguments. */
    interface Program {
        void run(String[] args, PrintStream out) throws Exception;
    }

    /**
     * What every example's {@code main} does: prints its usage for {@code --help} or {@code -h}, a
     * one-line error and the usage for an unknown option (exit code 2), and otherwise runs.
     *
     * @return the exit code
     */
    static int main(String program, List<String> known, String[] args, PrintStream out, PrintStream err,
                    Program body) throws Exception {
        List<String> given = Arrays.asList(args);
        if (given.contains("--help") || given.contains("-h")) {
            out.println(usage(program, known));
            return 0;
        }
        try {
            new Args(args, known);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(usage(program, known));
            return 2;
        }
        // as train.jar: DJL offline, logging at WARN, DJL's own CUDA probe quiet (Sluice reports devices)
        dev.sluice.engine.cli.Main.configureRuntime();
        body.run(args, out);
        return 0;
    }

    static String usage(String program, List<String> known) {
        StringBuilder sb = new StringBuilder("usage: ").append(program);
        for (String k : known) {
            sb.append(" [--").append(k).append(' ').append(k.toUpperCase(java.util.Locale.ROOT).replace('-', '_'))
                    .append(']');
        }
        return sb.toString();
    }
}
