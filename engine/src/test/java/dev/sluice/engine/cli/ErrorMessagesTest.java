package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the command line prints when something is wrong: the error itself, in words, once. */
class ErrorMessagesTest {

    @TempDir
    Path tmp;

    @Test
    void aMistypedOptionGivesTheErrorAndWhereTheOptionsAreNotTheWholeUsage() {
        CliRunner.Result r = CliRunner.run("train", "--bogus");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().startsWith("error: Unknown option: '--bogus'"), r.err());
        assertTrue(r.err().contains("Run 'java -jar train.jar train --help' for its options."), r.err());
        assertFalse(r.all().contains("Usage:"), "no usage text to bury the error: " + r.all());

        r = CliRunner.run("bench", "images", "--batchsize", "8");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("Possible solutions: --batch-size"), r.err());
        assertTrue(r.err().contains("'java -jar train.jar bench images --help'"), r.err());
    }

    @Test
    void aFirstWordThatIsNoCommandIsCalledThatNotAnArgumentOfTrain() {
        CliRunner.Result r = CliRunner.run("frobnicate", "--epochs", "1");
        assertEquals(2, r.code(), r.all());
        assertEquals("error: 'frobnicate' is not a command; the commands are train, ingest, inspect, verify, bench,"
                + " help. Run 'java -jar train.jar --help' for what each does.", r.err().strip());
    }

    @Test
    void aDamagedManifestIsReportedOnceWithoutTheJsonLibrarysAdvice() throws IOException {
        Path ds = Files.createDirectories(tmp.resolve("ds"));
        Files.writeString(ds.resolve("manifest.json"), "{\n  \"format\": \"sluice-dataset\",\n  \"created\": \"2026-");
        CliRunner.Result r = CliRunner.run("inspect", ds.toString());
        assertEquals(1, r.code(), r.all());
        String first = r.err().lines().findFirst().orElseThrow();
        assertTrue(first.contains("manifest.json: not valid JSON (Unterminated string"), r.err());
        assertFalse(r.err().contains("caused by"), "the cause repeats what the first line says: " + r.err());
        assertFalse(r.err().contains("https://"), r.err());
    }

    @Test
    void fileSystemErrorsWithoutAReasonSayWhatWentWrong() {
        assertEquals("/data/run: no such file or directory", Main.describe(new NoSuchFileException("/data/run")));
        assertEquals("/a -> /b: no such file or directory", Main.describe(new NoSuchFileException("/a", "/b", null)));
        assertEquals("/ro/x: permission denied", Main.describe(new java.nio.file.AccessDeniedException("/ro/x")));
        assertEquals("could not create the run directory\n  caused by: /f/x: not a directory (a file is in the way)",
                Main.describe(new UncheckedIOException("could not create the run directory",
                        new java.nio.file.NotDirectoryException("/f/x"))));
        // a reason from the operating system is kept as it is
        assertEquals("/x: Read-only file system",
                Main.describe(new java.nio.file.FileSystemException("/x", null, "Read-only file system")));
    }
}
