package dev.sluice.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointTest {

    private static Checkpoint taken(Map<String, String> config) {
        return new Checkpoint(10, 0, "{}", 10, 0, config, Map.of());
    }

    @Test
    void differencesNameEachSettingWithBothValuesAndSkipOnlyTheDecoderThatOlderCheckpointsDidNotRecord() {
        Checkpoint c = taken(Map.of("lr", "0.1", "model", "cnn", "images", "size=24"));
        assertEquals("", c.differences(Map.of("lr", "0.1", "model", "cnn", "images", "size=24")));
        // 'decoder' is not in this (older) checkpoint: not compared
        assertEquals("", c.differences(Map.of("lr", "0.1", "model", "cnn", "images", "size=24", "decoder", "opencv")));
        assertEquals("images: checkpoint has size=24, this run has null; lr: checkpoint has 0.1, this run has 0.2",
                c.differences(Map.of("lr", "0.2", "model", "cnn")));
        // any other setting the checkpoint lacks is a difference (a run on stored pixels has no 'images')
        Checkpoint pixels = taken(Map.of("model", "cnn"));
        assertEquals("images: checkpoint has null, this run has size=24",
                pixels.differences(Map.of("model", "cnn", "images", "size=24")));
        Checkpoint d = taken(Map.of("decoder", "opencv"));
        assertEquals("decoder: checkpoint has opencv, this run has imageio", d.differences(Map.of("decoder", "imageio")));
    }

    @Test
    void aCheckpointThatWroteNoNormalizeAsNullMatchesAutoAndNothingElse() {
        // as builds before 2026-12-03 wrote a run of decoded images without --normalize
        Checkpoint old = taken(Map.of("images", "size=32 crop=RANDOM_RESIZED flip=true normalize=null"));
        assertEquals("", old.differences(Map.of("images", "size=32 crop=RANDOM_RESIZED flip=true normalize=auto")));
        assertEquals("images: checkpoint has size=32 crop=RANDOM_RESIZED flip=true normalize=auto, this run has"
                + " size=32 crop=RANDOM_RESIZED flip=true normalize=IMAGENET",
                old.differences(Map.of("images", "size=32 crop=RANDOM_RESIZED flip=true normalize=IMAGENET")));
    }
}
