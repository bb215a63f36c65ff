package dev.sluice.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a checkpoint carries across --resume. */
class CheckpointCodecTest {

    @TempDir
    Path tmp;

    @Test
    void theSkippedBatchCountSurvivesAResume() throws Exception {
        Checkpoint cp = new Checkpoint(120, 2, "{}", 118, 7, Map.of("model", "mlp"), Map.of());
        Path file = tmp.resolve("step.ckpt");
        CheckpointCodec.write(cp, file);
        Checkpoint back = CheckpointCodec.read(ByteBuffer.wrap(Files.readAllBytes(file)), file.toString());
        assertEquals(7, back.skippedBatches());
        assertEquals(118, back.optimizerSteps());
        assertEquals(120, back.step());
    }
}
