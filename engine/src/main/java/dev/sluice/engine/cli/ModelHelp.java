package dev.sluice.engine.cli;

import dev.sluice.engine.train.TrainDefaults;
import dev.sluice.models.ModelRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.ListResourceBundle;

/**
 * The {@code --model} lines of {@code train --help}, one per model of the built-in registry with its
 * own description, so the help cannot list a model that does not exist or miss one that does.
 * Picocli reads an option's multi-line description from a resource bundle as {@code KEY.0},
 * {@code KEY.1}, ...; this bundle computes them.
 */
public final class ModelHelp extends ListResourceBundle {

    /** The description key of {@code --model}. */
    static final String KEY = "train.model";

    @Override
    protected Object[][] getContents() {
        ModelRegistry r = ModelRegistry.builtIn();
        List<Object[]> lines = new ArrayList<>();
        lines.add(new Object[] {KEY + ".0", "Model (default: " + TrainDefaults.MODEL + "):"});
        int i = 1;
        for (String name : r.names()) {
            boolean lm = r.languageModel(name);
            // the trainer feeds token windows to language models only (RunPlan refuses the others)
            String use = lm ? " [tokens: datasets]" : r.takesTokens(name) ? " [library only: train does not feed labelled"
                    + " token sequences]" : "";
            lines.add(new Object[] {KEY + "." + i++, "  " + name + ": " + r.description(name) + use});
        }
        return lines.toArray(Object[][]::new);
    }
}
