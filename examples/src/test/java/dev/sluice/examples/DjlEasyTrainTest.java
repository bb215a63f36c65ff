package dev.sluice.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DJL's EasyTrain learns the generated dataset streamed through SluiceDataset. */
class DjlEasyTrainTest {

    @TempDir
    Path tmp;

    @Test
    void easyTrainReachesHighAccuracyOnTheStreamedDataset() throws Exception {
        Path data = DemoDataset.write(tmp.resolve("bands"), 2000, 500, 9);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

        DjlEasyTrain.Result r = DjlEasyTrain.run(new String[] {"--data", data.toString(), "--epochs", "2",
            "--batch-size", "50"}, out);

        assertEquals(2, r.epochs());
        assertEquals(2 * (2000 / 50), r.trainBatches());
        assertTrue(r.trainAccuracy() >= 0.9f, "train accuracy " + r.trainAccuracy());
        assertTrue(r.validateAccuracy() >= 0.9f, "test accuracy " + r.validateAccuracy());
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains(String.format(Locale.ROOT, "DjlEasyTrain: 2 epochs, 80 batches streamed; train"
                + " accuracy %.4f, test accuracy %.4f", r.trainAccuracy(), r.validateAccuracy())), printed);
    }
}
