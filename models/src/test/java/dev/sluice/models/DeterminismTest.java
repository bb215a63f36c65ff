package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same engine seed gives bit-identical parameters (so the trainer can build identical
 * replicas), and another seed gives different ones (so the seed, not luck, is what decides).
 */
class DeterminismTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("mlp", InputSpec.image("image", 1, 28, 28)),
                Arguments.of("cnn", InputSpec.image("image", 3, 32, 32)),
                Arguments.of("resnet18", InputSpec.image("image", 3, 32, 32)),
                Arguments.of("gpt-small", InputSpec.tokens("text", 12, 40)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void sameSeedSameParameters(String name, InputSpec input) {
        BuiltModel a = seeded(name, input, 1234);
        BuiltModel b = seeded(name, input, 1234);
        BuiltModel c = seeded(name, input, 4321);

        List<String> names = a.block().getParameters().keys();
        List<Parameter> pa = a.block().getParameters().values();
        List<Parameter> pb = b.block().getParameters().values();
        List<Parameter> pc = c.block().getParameters().values();
        assertEquals(names, b.block().getParameters().keys());
        assertEquals(pa.size(), pb.size());
        boolean anyDiffers = false;
        for (int i = 0; i < pa.size(); i++) {
            NDArray x = pa.get(i).getArray();
            assertTrue(x.contentEquals(pb.get(i).getArray()),
                    name + " parameter " + names.get(i) + " differs under the same seed");
            anyDiffers |= !x.contentEquals(pc.get(i).getArray());
        }
        assertTrue(anyDiffers, name + ": a different seed should give different parameters");

        // Same parameters, same input: the same logits.
        NDArray in = input.kind() == InputSpec.Kind.TOKENS
                ? manager.randomInteger(0, input.vocabSize(), a.inputShape(2), DataType.INT64)
                : manager.randomUniform(0f, 1f, a.inputShape(2));
        assertTrue(logits(a, in).contentEquals(logits(b, in)));
        assertFalse(logits(a, in).contentEquals(logits(c, in)));
    }

    private BuiltModel seeded(String name, InputSpec input, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        BuiltModel m = ModelRegistry.builtIn().create(name, input, 10);
        m.initialize(manager);
        return m;
    }

    private NDArray logits(BuiltModel m, NDArray in) {
        ParameterStore ps = new ParameterStore(manager, false);
        return m.block().forward(ps, new NDList(in), false).singletonOrThrow();
    }
}
