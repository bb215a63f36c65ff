package dev.sluice.engine.cli;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntBinaryOperator;

/**
 * Writes a dataset laid out as the {@code tokens:} importer lays it out, written here directly so
 * the tests choose every token: one split {@code train}, field {@code tokens} of uint16
 * {@code [T + 1]}, and the {@code tokens.seq_len} and {@code tokens.vocab_size} metadata.
 */
final class TokenWindows {

    private TokenWindows() {}

    /**
     * @param token the token at position {@code j} (0..T) of window {@code i}
     */
    static void write(Path dir, Path staging, String name, int seqLen, int vocab, int windows, IntBinaryOperator token)
            throws IOException {
        Schema schema = Schema.of(FieldSpec.of("tokens", DType.UINT16, seqLen + 1));
        ByteBuffer w = ByteBuffer.allocate((seqLen + 1) * 2).order(ByteOrder.LITTLE_ENDIAN);
        try (FileStore store = new FileStore(dir);
             DatasetWriter writer = new DatasetWriter(store, name, schema, 16 << 10, staging,
                     Map.of("tokens.seq_len", Integer.toString(seqLen), "tokens.vocab_size", Integer.toString(vocab)),
                     null)) {
            for (int i = 0; i < windows; i++) {
                for (int j = 0; j <= seqLen; j++) {
                    w.putShort(j * 2, (short) token.applyAsInt(i, j));
                }
                writer.add("train", w.clear());
            }
            writer.commit();
        }
    }
}
