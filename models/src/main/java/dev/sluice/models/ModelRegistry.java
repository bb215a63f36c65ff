package dev.sluice.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Networks by name. {@link #builtIn()} knows {@code mlp}, {@code cnn}, {@code resnet18} and
 * {@code gpt-small} and {@code gpt}; {@link #with} adds more (the result is a new registry, this one is
 * immutable).
 *
 * <pre>{@code
 * BuiltModel m = ModelRegistry.builtIn().create("mlp", InputSpec.image("image", 1, 28, 28), 10);
 * m.initialize(manager);                   // or trainer.initialize(m.inputShape(batch))
 * }</pre>
 */
public final class ModelRegistry {

    /** The model used when none is named: fits any float field, e.g. Fashion-MNIST. */
    public static final String DEFAULT_MODEL = Mlp.NAME;

    private static final ModelRegistry BUILT_IN = new ModelRegistry(builtInFactories());

    private final Map<String, ModelFactory> factories;

    private ModelRegistry(Map<String, ModelFactory> factories) {
        this.factories = Collections.unmodifiableMap(new LinkedHashMap<>(factories));
    }

    /** The registry of Sluice's own networks. */
    public static ModelRegistry builtIn() {
        return BUILT_IN;
    }

    private static Map<String, ModelFactory> builtInFactories() {
        Map<String, ModelFactory> m = new LinkedHashMap<>();
        m.put(Mlp.NAME, new Mlp.Factory());
        m.put(SmallCnn.NAME, new SmallCnn.Factory());
        m.put(ResNet18.NAME, new ResNet18.Factory());
        m.put(GptSmall.NAME, new GptSmall.Factory());
        m.put(GptSmall.LM_NAME, new GptSmall.LanguageModelFactory());
        return m;
    }

    /**
     * A registry with one more network.
     *
     * @param name the name users pass (lower case, no spaces)
     * @param factory builds it
     * @return a new registry; this one is unchanged
     * @throws IllegalArgumentException if the name is taken or malformed
     */
    public ModelRegistry with(String name, ModelFactory factory) {
        Objects.requireNonNull(factory, "factory");
        if (name == null || !name.matches("[a-z0-9][a-z0-9._-]*")) {
            throw new IllegalArgumentException(
                    "Model name '" + name + "' must be lower case letters, digits, '.', '_' or '-'");
        }
        if (factories.containsKey(name)) {
            throw new IllegalArgumentException("Model name '" + name + "' is already registered");
        }
        Map<String, ModelFactory> m = new LinkedHashMap<>(factories);
        m.put(name, factory);
        return new ModelRegistry(m);
    }

    /** The known model names, in registration order. */
    public List<String> names() {
        return List.copyOf(factories.keySet());
    }

    /**
     * One-line description of a model.
     *
     * @param name a known model name
     * @return its description
     * @throws ModelConfigException if the name is unknown
     */
    public String description(String name) {
        return factory(name).description();
    }

    /**
     * Whether a model is a language model (see {@link ModelFactory#languageModel()}).
     *
     * @param name a known model name
     * @return true if it predicts the next token at every position
     * @throws ModelConfigException if the name is unknown
     */
    public boolean languageModel(String name) {
        return factory(name).languageModel();
    }

    /**
     * Whether a model takes a field of token ids, as language models and sequence classifiers do
     * (probed with a short window of a small vocabulary), rather than images or features.
     *
     * @param name a known model name
     * @throws ModelConfigException if the name is unknown
     */
    public boolean takesTokens(String name) {
        return mismatch(name, InputSpec.tokens("ids", 2, 2)).isEmpty();
    }

    /**
     * Why a model cannot take this input, or nothing when it can; phrased to follow "it needs".
     *
     * @param name a known model name
     * @param input the input field
     * @return the reason, or empty
     * @throws ModelConfigException if the name is unknown
     */
    public Optional<String> mismatch(String name, InputSpec input) {
        return factory(name).mismatch(Objects.requireNonNull(input, "input"));
    }

    /**
     * The names of the models that accept this input, in registration order.
     *
     * @param input the input field
     * @return possibly empty list of names
     */
    public List<String> namesFitting(InputSpec input) {
        List<String> fit = new ArrayList<>();
        for (Map.Entry<String, ModelFactory> e : factories.entrySet()) {
            if (e.getValue().mismatch(input).isEmpty()) {
                fit.add(e.getKey());
            }
        }
        return fit;
    }

    /**
     * Builds a fresh, uninitialized network.
     *
     * @param name a model name from {@link #names()}
     * @param input the input field the engine derived from the dataset schema
     * @param numClasses the number of classes (from the dataset's label metadata), at least 2
     * @return the block with its input contract
     * @throws ModelConfigException for an unknown name, a field the network cannot take, or fewer
     *     than 2 classes; the message names the field and shape and lists what fits
     */
    public BuiltModel create(String name, InputSpec input, int numClasses) {
        Objects.requireNonNull(input, "input");
        ModelFactory factory = factory(name);
        Optional<String> problem = factory.mismatch(input);
        if (problem.isPresent()) {
            List<String> fit = namesFitting(input);
            String fits = fit.isEmpty()
                    ? "No known model takes this field (known: " + String.join(", ", names()) + ")."
                    : "Models that take this field: " + String.join(", ", fit) + ".";
            throw new ModelConfigException(
                    name, input.field(),
                    "Model '" + name + "' cannot take " + input.describe() + ": it needs "
                            + problem.get() + ". " + fits);
        }
        if (numClasses < 2) {
            throw new ModelConfigException(
                    name, input.field(),
                    "Model '" + name + "' needs at least 2 classes, got " + numClasses
                            + ". The number of classes comes from the dataset's label metadata"
                            + " (or its largest label + 1): check the label field.");
        }
        return new BuiltModel(name, factory.build(input, numClasses), input, numClasses);
    }

    private ModelFactory factory(String name) {
        ModelFactory factory = name == null ? null : factories.get(name);
        if (factory == null) {
            throw new ModelConfigException(
                    name, null,
                    "Unknown model '" + name + "'. Known models: " + String.join(", ", names())
                            + ".");
        }
        return factory;
    }
}
