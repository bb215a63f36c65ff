package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.Resampler;
import dev.sluice.data.transform.CropBox;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** A decode thread's close frees the resampler's native memory even when the decoder's close fails. */
class DecodeStageWorkerTest {

    @Test
    void theResamplerIsClosedWhenTheDecoderFailsToCloseAndBothFailuresAreKept() {
        IllegalStateException decoderFailure = new IllegalStateException("decoder could not free its state");
        ClosingResampler resampler = new ClosingResampler(null);
        DecodeStage.Worker w = new DecodeStage.Worker(new FailingDecoder(decoderFailure), resampler);
        assertSame(decoderFailure, assertThrows(IllegalStateException.class, w::close));
        assertEquals(1, resampler.closed);

        ClosingResampler failing = new ClosingResampler(new Exception("resampler could not free its matrices"));
        IllegalStateException second = new IllegalStateException("decoder failed again");
        w = new DecodeStage.Worker(new FailingDecoder(second), failing);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, w::close);
        assertSame(second, thrown, "the first failure is the one thrown");
        assertEquals(1, failing.closed);
        assertEquals(1, thrown.getSuppressed().length);
        assertTrue(thrown.getSuppressed()[0].getCause().getMessage().contains("matrices"));
    }

    private record FailingDecoder(RuntimeException failure) implements ImageDecoder {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public DecodedImage decode(ByteBuffer buf, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
            throw failure;
        }
    }

    private static final class ClosingResampler implements Resampler, AutoCloseable {
        private final Exception failure;
        int closed;

        ClosingResampler(Exception failure) {
            this.failure = failure;
        }

        @Override
        public void resample(DecodedImage img, CropBox box, boolean mirror, ByteBuffer dst, int dstOffset, int h, int w) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() throws Exception {
            closed++;
            if (failure != null) {
                throw failure;
            }
        }
    }
}
