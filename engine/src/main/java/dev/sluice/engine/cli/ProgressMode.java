package dev.sluice.engine.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How {@code train} and {@code ingest} show progress, from their {@code --progress} option: a bar
 * redrawn in place (carriage returns) on a terminal, or whole lines every few seconds where the
 * output goes to a file or a pipe, whose readers would see every redraw.
 */
final class ProgressMode {

    private ProgressMode() {}

    /**
     * Whether to draw a bar: {@code always}, {@code never}, or {@code auto} (when stderr, where bars
     * are drawn, is a terminal).
     *
     * @throws UserException for any other value
     */
    static boolean bar(String option) {
        return switch (option) {
            case "always" -> true;
            case "never" -> false;
            case "auto" -> terminal();
            default -> throw new UserException("--progress must be auto, always or never, not '" + option + "'");
        };
    }

    /**
     * Whether stderr is a terminal: where {@code /proc} tells (Linux), what its descriptor 2 points
     * at; elsewhere Java 17's {@code System.console()}, which looks at stdin and stdout only.
     */
    static boolean terminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        if (!Files.isSymbolicLink(fd2)) {
            return System.console() != null;
        }
        try {
            String target = Files.readSymbolicLink(fd2).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException e) {
            // the link exists but cannot be read: the console is all there is to go by
            return System.console() != null;
        }
    }
}
