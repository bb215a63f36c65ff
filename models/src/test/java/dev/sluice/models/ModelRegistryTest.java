package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Names, and the typed errors for unknown names and inputs a network cannot take. */
class ModelRegistryTest {
    private static final ModelRegistry REGISTRY = ModelRegistry.builtIn();

    @Test
    void knowsTheBuiltInModels() {
        assertEquals(List.of("mlp", "cnn", "resnet18", "gpt-small", "gpt"), REGISTRY.names());
        assertEquals("mlp", ModelRegistry.DEFAULT_MODEL);
        for (String name : REGISTRY.names()) {
            assertTrue(REGISTRY.description(name).length() > 10, name);
        }
    }

    @Test
    void theTokenModelsAreTheGptsAndOnlyGptIsALanguageModel() {
        assertEquals(List.of("gpt-small", "gpt"), REGISTRY.names().stream().filter(REGISTRY::takesTokens).toList());
        assertEquals(List.of("gpt"), REGISTRY.names().stream().filter(REGISTRY::languageModel).toList());
        assertThrows(ModelConfigException.class, () -> REGISTRY.takesTokens("nope"));
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("resnet50", InputSpec.image("image", 3, 32, 32), 10));
        assertEquals("Unknown model 'resnet50'. Known models: mlp, cnn, resnet18, gpt-small, gpt.",
                e.getMessage());
        assertEquals("resnet50", e.model());
        assertNull(e.field());
        assertThrows(ModelConfigException.class, () -> REGISTRY.description("nope"));
    }

    @Test
    void resnetOnAFlatFieldSaysWhatFits() {
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("resnet18", InputSpec.dense("features", 784), 10));
        assertEquals("Model 'resnet18' cannot take field 'features' [784]: it needs a float image"
                + " field [C, H, W] (rank 3), but this field has rank 1. Models that take this"
                + " field: mlp.", e.getMessage());
        assertEquals("resnet18", e.model());
        assertEquals("features", e.field());
    }

    @Test
    void imageTooSmallForTheNetwork() {
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("resnet18", InputSpec.image("thumb", 1, 6, 6), 10));
        assertEquals("Model 'resnet18' cannot take field 'thumb' [1, 6, 6] (C, H, W): it needs"
                + " images of at least 8x8 pixels (H x W), but this field is 6x6. Models that take"
                + " this field: mlp, cnn.", e.getMessage());

        ModelConfigException cnn = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("cnn", InputSpec.image("thumb", 1, 3, 16), 10));
        assertTrue(cnn.getMessage().contains("at least 4x4 pixels (H x W), but this field is 3x16"),
                cnn.getMessage());
        assertTrue(cnn.getMessage().endsWith("Models that take this field: mlp."), cnn.getMessage());
    }

    @Test
    void channelsLastImageIsCaughtAndTheFixNamed() {
        InputSpec asStored = InputSpec.fromFieldShape(
                "image", new long[] {32, 32, 3}, InputSpec.Layout.CHW);
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("cnn", asStored, 10));
        assertEquals("Model 'cnn' cannot take field 'image' [32, 32, 3] (C, H, W): it needs"
                + " channels first [C, H, W], and [32, 32, 3] looks channels-last [H, W, C];"
                + " declare the field's layout HWC so the engine feeds [3, 32, 32]. Models that"
                + " take this field: mlp.", e.getMessage());

        InputSpec hwc = InputSpec.fromFieldShape(
                "image", new long[] {32, 32, 3}, InputSpec.Layout.HWC);
        assertArrayEquals(new long[] {3, 32, 32}, hwc.dims());
        assertEquals("resnet18", REGISTRY.create("resnet18", hwc, 10).name());
    }

    @Test
    void fieldShapesMapToNchw() {
        InputSpec gray = InputSpec.fromFieldShape("image", new long[] {28, 28}, InputSpec.Layout.HWC);
        assertEquals(InputSpec.image("image", 1, 28, 28), gray);
        assertEquals(1, gray.channels());
        assertEquals(28, gray.height());
        assertEquals(28, gray.width());
        assertEquals(new Shape(128, 1, 28, 28), gray.batchShape(128));
        InputSpec vec = InputSpec.fromFieldShape("x", new long[] {20}, InputSpec.Layout.CHW);
        assertEquals(InputSpec.dense("x", 20), vec);
        assertEquals(List.of("mlp"), REGISTRY.namesFitting(vec));
        assertEquals(List.of("mlp", "cnn", "resnet18"), REGISTRY.namesFitting(gray));
    }

    @Test
    void tokensAndFloatsGoToTheirOwnModels() {
        InputSpec text = InputSpec.tokens("text", 64, 1000);
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("mlp", text, 10));
        assertEquals("Model 'mlp' cannot take field 'text' [64] (tokens, vocabulary 1000): it"
                + " needs a float field (an image or a feature vector), not token ids. Models that"
                + " take this field: gpt-small, gpt.", e.getMessage());

        ModelConfigException gpt = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("gpt-small", InputSpec.image("image", 1, 28, 28), 10));
        assertEquals("Model 'gpt-small' cannot take field 'image' [1, 28, 28] (C, H, W): it needs"
                + " a token field [T] of integer ids with a vocabulary size, not a float field."
                + " Models that take this field: mlp, cnn, resnet18.", gpt.getMessage());

        ModelConfigException tooLong = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("gpt-small", InputSpec.tokens("text", 4096, 1000), 10));
        assertTrue(tooLong.getMessage().contains("at most 2048 tokens, but this field has 4096"));
        assertTrue(tooLong.getMessage().endsWith(
                "No known model takes this field (known: mlp, cnn, resnet18, gpt-small, gpt)."));
    }

    @Test
    void needsAtLeastTwoClasses() {
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> REGISTRY.create("mlp", InputSpec.image("image", 1, 28, 28), 1));
        assertTrue(e.getMessage().startsWith("Model 'mlp' needs at least 2 classes, got 1."),
                e.getMessage());
        assertEquals("image", e.field());
    }

    @Test
    void invalidFieldShapesAreRejected() {
        ModelConfigException zero = assertThrows(ModelConfigException.class,
                () -> InputSpec.dense("x", 0, 28));
        assertEquals("Field 'x' has shape [0, 28]: every dimension must be positive and fixed.",
                zero.getMessage());
        assertEquals("x", zero.field());
        assertThrows(ModelConfigException.class, () -> InputSpec.dense("x"));
        assertThrows(ModelConfigException.class, () -> InputSpec.tokens("t", 16, 1));
    }

    @Test
    void batchShapeIsChecked() {
        BuiltModel m = REGISTRY.create("cnn", InputSpec.image("image", 1, 28, 28), 10);
        m.checkBatch(new Shape(128, 1, 28, 28));
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> m.checkBatch(new Shape(128, 28, 28, 1)));
        assertEquals("Model 'cnn' was built for field 'image' [1, 28, 28] (C, H, W) and takes"
                + " batches (N, 1, 28, 28), but got a batch (128, 28, 28, 1). Build the model from"
                + " the field that is fed to it.", e.getMessage());
        assertEquals(new Shape(128, 10), m.outputShape(128));
    }

    @Test
    void customModelsCanBeAdded() {
        ModelFactory identity = new ModelFactory() {
            @Override
            public String description() {
                return "identity for tests";
            }

            @Override
            public Optional<String> mismatch(InputSpec input) {
                return input.rank() == 1 ? Optional.empty() : Optional.of("a vector field");
            }

            @Override
            public ai.djl.nn.Block build(InputSpec input, int numClasses) {
                return Blocks.identityBlock();
            }
        };
        ModelRegistry more = REGISTRY.with("ident", identity);
        assertEquals(List.of("mlp", "cnn", "resnet18", "gpt-small", "gpt", "ident"), more.names());
        assertEquals(5, REGISTRY.names().size(), "the original registry is unchanged");
        assertEquals("ident", more.create("ident", InputSpec.dense("x", 3), 3).name());
        assertThrows(IllegalArgumentException.class, () -> more.with("mlp", identity));
        assertThrows(IllegalArgumentException.class, () -> more.with("Bad Name", identity));
    }
}
