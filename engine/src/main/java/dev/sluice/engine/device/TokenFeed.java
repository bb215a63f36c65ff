package dev.sluice.engine.device;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import java.util.Optional;

/**
 * A dataset of fixed-length token windows for next-token training, as the {@code tokens:} importer
 * writes it: one uint16 or uint32 field of {@code T + 1} ids per sample (consecutive windows
 * overlap by one token). The model reads ids {@code [0, T)} and is scored on ids {@code [1, T]}.
 *
 * @param field the token field
 * @param dtype uint16 or uint32
 * @param length T, the ids the model reads per sample
 * @param vocabSize ids lie in {@code [0, vocabSize)}: the {@code tokens.vocab_size} metadata, or the
 *     dtype's range
 */
public record TokenFeed(String field, DType dtype, int length, int vocabSize) {

    /** Metadata key of the vocabulary size. */
    public static final String VOCAB_SIZE = "tokens.vocab_size";

    /**
     * The token field of a dataset without an image field: its only field, uint16 or uint32 of
     * rank 1; empty when the dataset is not a token dataset.
     *
     * @param fieldName the field's name, or null to take the only field
     */
    public static Optional<TokenFeed> from(Manifest m, String fieldName) {
        FieldSpec found = null;
        for (FieldSpec f : m.schema().fields()) {
            boolean ids = (f.dtype() == DType.UINT16 || f.dtype() == DType.UINT32) && f.shape().length == 1
                    && !f.variable() && f.shape()[0] >= 2;
            if (ids && (fieldName == null || f.name().equals(fieldName))) {
                found = f;
                break;
            }
        }
        if (found == null || (fieldName == null && m.schema().fields().size() != 1)) {
            return Optional.empty();
        }
        String v = m.metadata().get(VOCAB_SIZE);
        int vocab = v != null ? Integer.parseInt(v.trim()) : found.dtype() == DType.UINT16 ? 1 << 16 : Integer.MAX_VALUE;
        if (v == null && found.dtype() == DType.UINT32) {
            throw new IllegalArgumentException("token field '" + found.name() + "' of dataset '" + m.name()
                    + "' is uint32 and the manifest has no " + VOCAB_SIZE + "; record the vocabulary size there");
        }
        return Optional.of(new TokenFeed(found.name(), found.dtype(), (int) found.shape()[0] - 1, vocab));
    }
}
