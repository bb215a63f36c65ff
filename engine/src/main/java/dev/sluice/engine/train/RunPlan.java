package dev.sluice.engine.train;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ManifestException;
import dev.sluice.data.loader.Remainder;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.device.Normalization;
import dev.sluice.engine.device.TokenFeed;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run will read and build, resolved from the dataset before the run writes anything: the
 * token or image feed, the model's input, the evaluation split, and the checks that would otherwise
 * fail after the run directory and its metrics exist (a model that cannot take the data, a missing
 * split, a batch larger than the split, a checkpoint directory that cannot be created). Each refusal
 * is an {@link InvalidRunException} naming the option and what to pass instead.
 *
 * @param cfg the configuration with the evaluation split resolved (null when there is none)
 * @param dataset the opened dataset
 * @param tokens the token feed of a token dataset, else null
 * @param feed the image feed of an image dataset, else null
 * @param input the model's input field
 * @param classes output classes (the vocabulary for a language model)
 * @param notes lines to show the person running it (a fallback evaluation split, default statistics)
 */
record RunPlan(TrainConfig cfg, Dataset dataset, TokenFeed tokens, FeedSpec feed, InputSpec input, int classes,
               List<String> notes) {

    /** The evaluation split taken when {@code --eval-split} is not given: the first of these the dataset has. */
    static final List<String> AUTO_EVAL_SPLITS = List.of("test", "val");

    /**
     * Opens the dataset in {@code store} and resolves the run.
     *
     * @param world replicas in the whole job (for the batch check)
     * @throws InvalidRunException for anything the user must change before the run can start
     * @throws IOException when the dataset cannot be read for another reason
     */
    static RunPlan resolve(TrainConfig cfg, ObjectStore store, ModelRegistry registry, int world) throws IOException {
        List<String> notes = new ArrayList<>();
        Dataset ds;
        try {
            ds = Dataset.open(store);
        } catch (ManifestException e) {
            // no dataset at the location (or not a finished one): the location is what to fix
            throw new InvalidRunException("--data " + cfg.data().location() + ": " + e.getMessage(), e);
        }
        Manifest m = ds.manifest();
        TrainConfig.Inputs in = cfg.inputs();
        String model = cfg.job().model();
        boolean lm = registry.languageModel(model);
        if (!lm && registry.takesTokens(model)) {
            // a sequence classifier: the trainer has no feed of labelled token sequences (only token
            // windows scored on their next tokens), so it would fail on either kind of dataset
            throw new InvalidRunException("--model " + model + " classifies labelled token sequences, which train"
                    + " does not feed; to train on a tokens: dataset (ingest --from tokens:FILE) use --model "
                    + String.join(" or --model ", languageModels(registry)));
        }
        TokenFeed tokens;
        FeedSpec feed = null;
        InputSpec input;
        try {
            // a dataset of token windows (the tokens: importer's) trains a language model; any other an image model
            tokens = in.imageField() != null ? null : TokenFeed.from(m, null).orElse(null);
            if (tokens == null && lm) {
                throw new InvalidRunException("--model " + model + " is a language model and needs a dataset of"
                        + " token windows (ingest --from tokens:FILE --dtype uint16 --seq-len N); dataset '" + m.name()
                        + "' has fields " + m.schema() + "; for it use an image model: "
                        + String.join(", ", fitting(registry, null, false)));
            }
            if (tokens == null) {
                feed = FeedSpec.from(m, in.imageField(), in.labelField(), in.imageSize(), in.normalize());
            }
            input = tokens != null ? InputSpec.tokens(tokens.field(), tokens.length(), tokens.vocabSize())
                    : InputSpec.image(feed.imageField(), feed.channels(), feed.height(), feed.width());
        } catch (InvalidRunException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // the fields the options name (or the manifest offers) do not fit: FeedSpec says which
            throw new InvalidRunException(e.getMessage(), e);
        }
        boolean tokenData = tokens != null;
        if (tokenData && !lm) {
            throw new InvalidRunException("--model " + model + " cannot train on dataset '" + m.name() + "': it holds"
                    + " token windows (" + input.describe() + "), which train uses for next-token prediction; use"
                    + " --model " + String.join(" or --model ", fitting(registry, input, true)));
        }
        var problem = registry.mismatch(model, input);
        if (problem.isPresent()) {
            List<String> fit = fitting(registry, input, tokenData);
            throw new InvalidRunException("--model " + model + " cannot take " + input.describe() + " of dataset '"
                    + m.name() + "': it needs " + problem.get() + ". "
                    + (fit.isEmpty() ? "No model takes this field." : "Models that take it: " + String.join(", ", fit)
                    + "."));
        }
        if (feed != null && !feed.encoded() && (in.normalize() == null || in.normalize() == Normalization.DATASET)
                && !m.metadata().containsKey(feed.imageField() + ".mean")) {
            notes.add(String.format(Locale.ROOT, "warning: dataset '%s' records no %s.mean/%s.std; normalizing with"
                    + " mean 0.5 and std 0.5 per channel (pass --normalize none or imagenet to choose otherwise)",
                    m.name(), feed.imageField(), feed.imageField()));
        }
        if (!m.splits().containsKey(cfg.data().trainSplit())) {
            throw new InvalidRunException("--split " + cfg.data().trainSplit() + ": dataset '" + m.name()
                    + "' has no such split; it has " + m.splits().keySet());
        }
        TrainConfig resolved = withEvalSplit(cfg, m, notes);
        checkBatch(resolved, m, world);
        checkCheckpointDir(resolved.checkpoints().dir());
        if (resolved.output().runDir() != null) {
            checkWritableDir("--run-dir " + resolved.output().runDir(), resolved.output().runDir(), "the run's files");
        }
        int classes = tokenData ? tokens.vocabSize() : feed.numClasses();
        return new RunPlan(resolved, ds, tokens, feed, input, classes, List.copyOf(notes));
    }

    /** The models of the trainer's kind (language models for token data) that take {@code input} (any, if null). */
    private static List<String> fitting(ModelRegistry registry, InputSpec input, boolean languageModels) {
        List<String> out = new ArrayList<>();
        for (String n : input == null ? registry.names() : registry.namesFitting(input)) {
            if (registry.languageModel(n) == languageModels && (languageModels || !registry.takesTokens(n))) {
                out.add(n);
            }
        }
        return out;
    }

    private static List<String> languageModels(ModelRegistry registry) {
        return registry.names().stream().filter(registry::languageModel).toList();
    }

    /**
     * The evaluation split: the one asked for, which must exist; or when none was asked for
     * ({@link TrainDefaults#EVAL_SPLIT}), the first of {@link #AUTO_EVAL_SPLITS} the dataset has,
     * else none. A fallback is noted for the person running it.
     */
    static TrainConfig withEvalSplit(TrainConfig cfg, Manifest m, List<String> notes) {
        String asked = cfg.data().evalSplit();
        if (asked == null) {
            return cfg;
        }
        if (asked.equals(TrainDefaults.EVAL_SPLIT)) {
            for (String s : AUTO_EVAL_SPLITS) {
                if (m.splits().containsKey(s)) {
                    if (!s.equals(AUTO_EVAL_SPLITS.get(0))) {
                        notes.add("No split '" + AUTO_EVAL_SPLITS.get(0) + "'; evaluating on '" + s + "'");
                    }
                    return cfg.withEvalSplit(s);
                }
            }
            notes.add("No split " + String.join(" or ", AUTO_EVAL_SPLITS.stream().map(s -> "'" + s + "'").toList())
                    + " to evaluate on; training only");
            return cfg.withEvalSplit(null);
        }
        if (!m.splits().containsKey(asked)) {
            throw new InvalidRunException("--eval-split " + asked + ": dataset '" + m.name() + "' has no such split;"
                    + " it has " + m.splits().keySet() + "; pass one of them, or --eval-split none to train"
                    + " without evaluation");
        }
        return cfg;
    }

    /** Refuses a batch larger than one replica's share of the training split (an epoch of no steps). */
    private static void checkBatch(TrainConfig cfg, Manifest m, int world) {
        long samples = m.split(cfg.data().trainSplit()).samples();
        // as the loader deals an epoch: drop leaves every rank the floor, wrap the ceiling
        long perRank = cfg.data().remainder() == Remainder.WRAP ? (samples + world - 1) / world : samples / world;
        if (perRank / cfg.job().batchSize() == 0) {
            throw new InvalidRunException("--batch-size " + cfg.job().batchSize() + ": split '"
                    + cfg.data().trainSplit() + "' has " + samples + " samples, fewer than one batch for each of "
                    + world + " replica(s); lower --batch-size to at most " + Math.max(1, perRank));
        }
    }

    /**
     * Refuses a local {@code --checkpoint-dir} that cannot be created or written, now rather than at
     * the first checkpoint, after an epoch of training. Creates nothing: the nearest existing folder
     * on its path must be a writable directory. An {@code s3://} location is checked when it is
     * written (a probe here would be a network call).
     */
    static void checkCheckpointDir(String location) {
        if (location == null || Stores.isS3(location)) {
            return;
        }
        Path dir;
        try {
            dir = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
        } catch (IllegalArgumentException e) {
            throw new InvalidRunException("--checkpoint-dir " + location + ": not a directory path, file:///dir or"
                    + " s3://bucket/prefix (" + e.getMessage() + ")", e);
        }
        checkWritableDir("--checkpoint-dir " + location, dir, "checkpoints");
    }

    /**
     * Refuses a local directory that cannot be created or written: the nearest existing folder on
     * its path must be a writable directory. Creates nothing.
     *
     * @param option the option and its value, for the message
     * @param what what would go there, for the message
     */
    static void checkWritableDir(String option, Path dir, String what) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return; // no part of the path exists (another file system root): let the first write say why
        }
        if (!Files.isDirectory(p)) {
            throw new InvalidRunException(option + ": " + p + " is a file, not a directory, so " + what
                    + " cannot go there; pass a directory");
        }
        if (!Files.isWritable(p)) {
            throw new InvalidRunException(option + ": " + p + " is not writable; pass a directory you can write to");
        }
    }
}
