package dev.sluice.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The examples answer --help with their usage and a bad option with one line, never a stack trace. */
class ArgsTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        int code = Args.main("EmbeddedTraining", EmbeddedTraining.OPTIONS, args,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                (a, o) -> ran.set(true));
        assertFalse(ran.get() && code != 0);
        return code;
    }

    @Test
    void helpPrintsTheUsage() throws Exception {
        assertEquals(0, run("--help"));
        assertEquals("usage: EmbeddedTraining [--data DATA] [--model MODEL] [--epochs EPOCHS] [--run-dir RUN_DIR]",
                out.toString(StandardCharsets.UTF_8).strip());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownOptionIsOneErrorLineAndTheUsage() throws Exception {
        assertEquals(2, run("--nosuch", "1"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("error: unknown option '--nosuch'"), e);
        assertFalse(e.contains("Exception") || e.contains("\tat "), e);
    }
}
