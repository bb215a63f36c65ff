package dev.sluice.models;

import ai.djl.nn.Block;
import java.util.Optional;

/**
 * Builds one kind of network for a given input field. Implementations are stateless; the
 * registry checks {@link #mismatch} before it calls {@link #build}.
 */
public interface ModelFactory {

    /** One line for {@code --help} and listings, e.g. "MLP 256-128 with ReLU". */
    String description();

    /**
     * Says why this network cannot take the input, or nothing when it can.
     *
     * @param input the model's input field
     * @return the reason, phrased to follow "needs" context-free, e.g. "an image field [C, H, W]
     *     of at least 8x8, got field 'x' [784]"
     */
    Optional<String> mismatch(InputSpec input);

    /**
     * Builds an uninitialized block that maps a batch of {@code input} to logits {@code [N,
     * numClasses]}. Only called when {@link #mismatch} is empty and {@code numClasses >= 2}.
     *
     * @param input the model's input field
     * @param numClasses the number of output logits
     * @return a fresh block; every call returns new parameters
     */
    Block build(InputSpec input, int numClasses);

    /**
     * Whether the network predicts the next token at every position of a token window (trained on
     * unlabelled token windows) rather than one label per sample. The trainer feeds token datasets
     * only to language models, and other datasets only to the others.
     *
     * @return true for a language model; false (the default) for a per-sample classifier
     */
    default boolean languageModel() {
        return false;
    }
}
