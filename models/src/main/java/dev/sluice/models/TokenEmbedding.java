package dev.sluice.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * Token plus learned position embedding: ids {@code (N, T)} to vectors {@code (N, T, D)}, for
 * any T up to the maximum length. Ids of any integer type are accepted (converted to int64).
 */
final class TokenEmbedding extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int maxLength;
    private final int dim;
    private final Parameter tokens;
    private final Parameter positions;

    TokenEmbedding(int vocabSize, int maxLength, int dim) {
        super(VERSION);
        this.maxLength = maxLength;
        this.dim = dim;
        // GPT-2's N(0, 0.02) init; explicit so standalone initialization needs no trainer config.
        this.tokens = addParameter(Parameter.builder()
                .setName("tokens")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(vocabSize, dim))
                .optInitializer(new NormalInitializer(0.02f))
                .build());
        this.positions = addParameter(Parameter.builder()
                .setName("positions")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(maxLength, dim))
                .optInitializer(new NormalInitializer(0.02f))
                .build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        if (ids.getShape().dimension() != 2 || ids.getShape().get(1) > maxLength) {
            throw new IllegalArgumentException("token batch must be (N, T) with T <= " + maxLength
                    + ", got " + ids.getShape());
        }
        if (ids.getDataType() != DataType.INT64) {
            ids = ids.toType(DataType.INT64, false);
        }
        long t = ids.getShape().get(1);
        NDArray table = ps.getValue(tokens, ids.getDevice(), training);
        NDArray pos = ps.getValue(positions, ids.getDevice(), training);
        NDArray x = Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        return new NDList(x.add(pos.get("0:{}", t)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(dim)};
    }
}
