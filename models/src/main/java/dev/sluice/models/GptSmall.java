package dev.sluice.models;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Arrays;
import java.util.Optional;

/**
 * A tiny decoder-only transformer (GPT-style, pre-norm) for token fields: token and learned
 * position embeddings of width {@value #DIM}, {@value #LAYERS} blocks of causal self-attention
 * ({@value #HEADS} heads) and a GELU MLP (4x width), a final layer norm, and the logits read at
 * the last position. Because attention is causal, the last position is the only one that has
 * seen the whole sequence: the output is a sequence classification, or next-token prediction
 * when {@code numClasses} is the vocabulary size and the label is the following token.
 */
public final class GptSmall {
    /** Registry name. */
    public static final String NAME = "gpt-small";
    /** Registry name of the language model ({@link #buildLanguageModel}). */
    public static final String LM_NAME = "gpt";

    /** Embedding width. */
    public static final int DIM = 128;
    /** Attention heads per block. */
    public static final int HEADS = 4;
    /** Transformer blocks. */
    public static final int LAYERS = 2;
    /** Longest sequence: attention memory grows with T squared. */
    public static final int MAX_LENGTH = 2048;

    private GptSmall() {}

    /**
     * Builds the network.
     *
     * @param vocabSize token ids lie in {@code [0, vocabSize)}
     * @param maxLength the longest sequence (size of the position table)
     * @param numClasses output logits
     * @return an uninitialized block taking {@code (N, T)} integer ids, {@code T <= maxLength}
     */
    public static SequentialBlock build(int vocabSize, int maxLength, int numClasses) {
        SequentialBlock net = trunk(vocabSize, maxLength);
        net.addSingleton(x -> x.get(":, -1, :"), "lastPosition");
        net.add(Linear.builder().setUnits(numClasses).build());
        return net;
    }

    /**
     * The same network as a language model: logits at every position, flattened to
     * {@code (N * T, vocabSize)} so that a softmax cross-entropy against the {@code (N * T)} next
     * tokens is the usual next-token loss, averaged over all positions.
     *
     * @param vocabSize token ids lie in {@code [0, vocabSize)}
     * @param maxLength the longest sequence (size of the position table)
     * @return an uninitialized block taking {@code (N, T)} integer ids
     */
    public static SequentialBlock buildLanguageModel(int vocabSize, int maxLength) {
        SequentialBlock net = trunk(vocabSize, maxLength);
        net.addSingleton(x -> x.reshape(-1, DIM), "allPositions");
        net.add(Linear.builder().setUnits(vocabSize).build());
        return net;
    }

    /** Embedding, the transformer layers and the final norm: {@code (N, T)} ids to {@code (N, T, DIM)}. */
    private static SequentialBlock trunk(int vocabSize, int maxLength) {
        SequentialBlock net = new SequentialBlock();
        net.add(new TokenEmbedding(vocabSize, maxLength, DIM));
        for (int i = 0; i < LAYERS; i++) {
            net.add(residual(new SequentialBlock()
                    .add(layerNorm())
                    .add(new CausalSelfAttention(DIM, HEADS))));
            net.add(residual(new SequentialBlock()
                    .add(layerNorm())
                    .add(Linear.builder().setUnits(4L * DIM).build())
                    .add(Activation.geluBlock())
                    .add(Linear.builder().setUnits(DIM).build())));
        }
        net.add(layerNorm());
        return net;
    }

    /** x + f(x). */
    private static Block residual(Block f) {
        return new ParallelBlock(
                outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
                Arrays.asList(f, Blocks.identityBlock()));
    }

    /** Normalizes each position's vector (axis 2 of (N, T, D)), not the whole sequence. */
    private static LayerNorm layerNorm() {
        return LayerNorm.builder().axis(2).build();
    }

    /** {@link #buildLanguageModel}: next-token prediction at every position; classes are the vocabulary. */
    static final class LanguageModelFactory implements ModelFactory {
        @Override
        public String description() {
            return "tiny GPT language model: " + LAYERS + " causal transformer blocks, width " + DIM
                    + ", next-token logits at every position (token fields [T], T <= " + MAX_LENGTH + ")";
        }

        @Override
        public Optional<String> mismatch(InputSpec input) {
            return new Factory().mismatch(input);
        }

        @Override
        public boolean languageModel() {
            return true;
        }

        @Override
        public Block build(InputSpec input, int numClasses) {
            return GptSmall.buildLanguageModel(input.vocabSize(), input.length());
        }
    }

    static final class Factory implements ModelFactory {
        @Override
        public String description() {
            return "tiny GPT sequence classifier: " + LAYERS + " causal transformer blocks, width " + DIM + ", "
                    + HEADS + " heads, one label per token sequence [T], T <= " + MAX_LENGTH;
        }

        @Override
        public Optional<String> mismatch(InputSpec input) {
            if (input.kind() != InputSpec.Kind.TOKENS) {
                return Optional.of("a token field [T] of integer ids with a vocabulary size,"
                        + " not a float field");
            }
            if (input.length() > MAX_LENGTH) {
                return Optional.of("sequences of at most " + MAX_LENGTH + " tokens, but this field"
                        + " has " + input.length());
            }
            return Optional.empty();
        }

        @Override
        public Block build(InputSpec input, int numClasses) {
            return GptSmall.build(input.vocabSize(), input.length(), numClasses);
        }
    }
}
