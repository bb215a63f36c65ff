package dev.sluice.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every network maps a small CPU batch to logits (N, classes) with the PyTorch engine. */
class ModelShapesTest {
    private static final ModelRegistry REGISTRY = ModelRegistry.builtIn();
    private NDManager manager;

    @BeforeAll
    static void engine() {
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
        Engine.getInstance().setRandomSeed(1);
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void mlpOnFashionMnistImages() {
        BuiltModel m = REGISTRY.create("mlp", InputSpec.image("image", 1, 28, 28), 10);
        NDArray out = forward(m, images(m, 4), false);
        assertEquals(new Shape(4, 10), out.getShape());
        // 784*256+256 + 256*128+128 + 128*10+10
        assertEquals(235_146, trainableParameters(m));
        assertEquals(ModelRegistry.DEFAULT_MODEL, m.name());
    }

    @Test
    void mlpOnFeatureVector() {
        BuiltModel m = REGISTRY.create("mlp", InputSpec.dense("features", 20), 3);
        assertEquals(new Shape(5, 3), forward(m, images(m, 5), true).getShape());
    }

    @Test
    void cnnOnGrayscale28AndRgb32() {
        BuiltModel gray = REGISTRY.create("cnn", InputSpec.image("image", 1, 28, 28), 10);
        assertEquals(new Shape(3, 10), forward(gray, images(gray, 3), true).getShape());
        BuiltModel rgb = REGISTRY.create("cnn", InputSpec.image("image", 3, 32, 32), 100);
        assertEquals(new Shape(2, 100), forward(rgb, images(rgb, 2), false).getShape());
    }

    @Test
    void resnet18OnCifarSizedImagesUsesSmallStem() {
        InputSpec cifar = InputSpec.image("image", 3, 32, 32);
        BuiltModel m = REGISTRY.create("resnet18", cifar, 10);
        NDArray out = forward(m, images(m, 2), false);
        assertEquals(new Shape(2, 10), out.getShape());
        assertTrue(ResNet18.usesSmallStem(32, 32));
        // torchvision resnet18 (11,689,512) with a 3x3 stem (1,728 instead of 9,408 weights)
        // and a 10-class head (5,130 instead of 513,000): the published CIFAR ResNet-18 count.
        assertEquals(11_173_962, trainableParameters(m));
    }

    @Test
    void resnet18OnLargerImagesUsesStandardStem() {
        BuiltModel m = REGISTRY.create("resnet18", InputSpec.image("image", 3, 72, 72), 10);
        assertFalse(ResNet18.usesSmallStem(72, 72));
        assertEquals(new Shape(1, 10), forward(m, images(m, 1), false).getShape());
        assertEquals(11_173_962 - 1_728 + 9_408, trainableParameters(m));
    }

    @Test
    void gptSmallOnTokens() {
        BuiltModel m = REGISTRY.create("gpt-small", InputSpec.tokens("text", 16, 50), 7);
        assertEquals(DataType.INT64, m.inputDataType());
        NDArray ids = manager.randomInteger(0, 50, m.inputShape(3), DataType.INT64);
        assertEquals(new Shape(3, 7), forward(m, ids, true).getShape());
        // int32 ids (as a dataset may store them) work too, and so do shorter sequences
        // (which checkBatch rejects: a dataset field has one fixed length).
        NDArray int32Ids = manager.randomInteger(0, 50, m.inputShape(2), DataType.INT32);
        assertEquals(new Shape(2, 7), forward(m, int32Ids, false).getShape());
        NDArray shortIds = manager.randomInteger(0, 50, new Shape(2, 5), DataType.INT64);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray out = m.block().forward(ps, new NDList(shortIds), false).singletonOrThrow();
        assertEquals(new Shape(2, 7), out.getShape());
    }

    @Test
    void attentionIsCausal() {
        CausalSelfAttention att = new CausalSelfAttention(16, 4);
        att.initialize(manager, DataType.FLOAT32, new Shape(1, 6, 16));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray x = manager.randomNormal(new Shape(1, 6, 16));
        NDArray changed = x.duplicate();
        changed.set(new NDIndex(":, 4:, :"), 5f); // change positions 4 and 5
        NDArray a = att.forward(ps, new NDList(x), false).singletonOrThrow();
        NDArray b = att.forward(ps, new NDList(changed), false).singletonOrThrow();
        // Positions 0..3 cannot see 4..5: bit-for-bit the same output.
        assertTrue(a.get(":, 0:4, :").contentEquals(b.get(":, 0:4, :")));
        assertFalse(a.get(":, 4:, :").allClose(b.get(":, 4:, :")));
    }

    private NDArray images(BuiltModel m, int n) {
        return manager.randomUniform(0f, 1f, m.inputShape(n));
    }

    private NDArray forward(BuiltModel m, NDArray x, boolean training) {
        m.initialize(manager);
        m.checkBatch(x.getShape());
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray out = m.block().forward(ps, new NDList(x), training).singletonOrThrow();
        assertEquals(DataType.FLOAT32, out.getDataType());
        assertTrue(out.isInfinite().logicalOr(out.isNaN()).none().getBoolean(),
                "logits are finite");
        return out;
    }

    static long trainableParameters(BuiltModel m) {
        long n = 0;
        for (Parameter p : m.block().getParameters().values()) {
            if (p.requiresGradient()) {
                n += p.getArray().size();
            }
        }
        return n;
    }
}
