package dev.sluice.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention with a causal mask: position t attends to positions 0..t only.
 * Input and output {@code (N, T, D)}.
 */
final class CausalSelfAttention extends AbstractBlock {
    private static final byte VERSION = 1;
    /** Added to masked scores; exp() of it is exactly 0 in float32. */
    private static final float MASKED = -1e9f;

    private final int heads;
    private final int dim;
    private final Linear qkv;
    private final Linear proj;

    CausalSelfAttention(int dim, int heads) {
        super(VERSION);
        if (dim % heads != 0) {
            throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
        }
        this.dim = dim;
        this.heads = heads;
        this.qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * dim).build());
        this.proj = addChildBlock("proj", Linear.builder().setUnits(dim).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        long n = x.getShape().get(0);
        long t = x.getShape().get(1);
        long headDim = dim / heads;
        NDList qkvParts = qkv.forward(ps, new NDList(x), training, params)
                .singletonOrThrow()
                .split(3, 2);
        NDArray q = splitHeads(qkvParts.get(0), n, t, headDim);
        NDArray k = splitHeads(qkvParts.get(1), n, t, headDim);
        NDArray v = splitHeads(qkvParts.get(2), n, t, headDim);
        NDArray scores;
        try (NDArray scale = scale(x, headDim)) {
            scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        }
        NDArray att = scores.add(futureMask(x, t)).softmax(-1);
        NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(n, t, dim);
        return proj.forward(ps, new NDList(y), training, params);
    }

    /** (N, T, D) to (N, heads, T, D / heads). */
    private NDArray splitHeads(NDArray a, long n, long t, long headDim) {
        return a.reshape(n, t, heads, headDim).transpose(0, 2, 1, 3);
    }

    /**
     * 1 / sqrt(headDim) as a 0-d tensor PyTorch allocated. Not {@code mul(Number)}: DJL makes that
     * scalar a tensor over a Java direct buffer and closes it when the call returns, but autograd keeps
     * the scalar for the backward pass, so the garbage collector could free (and the JVM reuse) its
     * memory before backward read it, and the attention gradients were scaled by whatever lay there:
     * losses that differed from run to run. Memory PyTorch allocated lives as long as the graph holds it.
     */
    private static NDArray scale(NDArray like, long headDim) {
        return like.getManager().full(new Shape(), (float) (1.0 / Math.sqrt(headDim)), DataType.FLOAT32,
                like.getDevice());
    }

    /** (T, T): MASKED where the key position is after the query position, 0 elsewhere. */
    private static NDArray futureMask(NDArray like, long t) {
        // On x's device: an array's manager may sit on another device than the array itself.
        NDArray idx = like.getManager().arange(0f, t, 1f, DataType.FLOAT32, like.getDevice());
        NDArray future = idx.reshape(1, t).gt(idx.reshape(t, 1));
        return future.toType(DataType.FLOAT32, false).mul(MASKED);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }
}
