package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.engine.nvjpeg.Nvjpeg;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --decoder}: a GPU decoder that cannot load here, or an unknown name, is a usage error before anything is written. */
class NvjpegDecoderCliTest {

    @TempDir
    Path tmp;

    @Test
    void trainWithNvjpegWithoutTheLibraryFailsEarlyNamingIt() {
        assumeTrue(Nvjpeg.unavailableReason() != null, "nvJPEG is usable here: " + Nvjpeg.describe());
        Path run = tmp.resolve("run");
        CliRunner.Result r = CliRunner.run("--data", tmp.resolve("ds").toString(), "--run-dir", run.toString(),
                "--progress", "never", "--devices", "cpu", "--decoder", "nvjpeg");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("libnvjpeg.so.12") && r.err().contains("nvidia-nvjpeg-cu12")
                && r.err().contains("LD_LIBRARY_PATH"), r.err());
        assertFalse(Files.exists(run), "no run directory for a run that never started");
    }

    @Test
    void anUnknownDecoderListsTheKnownOnes() {
        Path run = tmp.resolve("run");
        CliRunner.Result r = CliRunner.run("--data", tmp.resolve("ds").toString(), "--run-dir", run.toString(),
                "--progress", "never", "--devices", "cpu", "--decoder", "turbo");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("'turbo'") && r.err().contains("auto, opencv, imageio, nvjpeg"), r.err());
        assertFalse(Files.exists(run));
    }
}
