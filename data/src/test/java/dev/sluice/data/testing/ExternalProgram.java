package dev.sluice.data.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program another toolchain builds or interprets (python3, a C++ compiler), for the tests
 * that check golden values against their independent source. A missing tool fails the test with
 * what to install: these checks are the reason the golden values can be trusted, so they must not
 * be skipped silently.
 */
public final class ExternalProgram {

    private ExternalProgram() {}

    /** The repository root (tests run in a module directory). */
    public static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("docs"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (a directory with docs/) above "
                    + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /**
     * Runs {@code command} in {@code dir} and returns its standard output; standard error is
     * included in the failure message.
     *
     * @param tool the program that must be installed, for the message when it is not
     * @param install how to install it
     * @throws AssertionError naming the tool when it is missing, or the exit status and output when
     *     the program fails or runs past {@code timeoutSeconds}
     */
    public static String run(String tool, String install, Path dir, long timeoutSeconds, List<String> command)
            throws IOException, InterruptedException {
        if (!onPath(tool)) {
            throw new AssertionError(tool + " is not installed, and this test checks golden values against the"
                    + " program it runs (" + String.join(" ", command) + "); install it: " + install);
        }
        Path out = Files.createTempFile("sluice-ext", ".out");
        Path err = Files.createTempFile("sluice-ext", ".err");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", command) + " ran past " + timeoutSeconds + " s");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + stdout
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return stdout;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
