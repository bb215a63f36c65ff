package dev.sluice.models;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.Optional;

/**
 * A small VGG-style convolutional net for 28x28 / 32x32 images: two stages of two 3x3
 * conv-BN-ReLU layers (32 then 64 filters) each followed by a 2x2 max-pool, one 3x3 conv with 128
 * filters, global average pooling and the logits. Global pooling keeps the parameter count (about
 * 140k) independent of the image size; the two pools need images of at least 4x4.
 */
public final class SmallCnn {
    /** Registry name. */
    public static final String NAME = "cnn";

    /** Smallest H and W: two 2x2 pools must leave at least one pixel. */
    public static final int MIN_SIDE = 4;

    private SmallCnn() {}

    /**
     * Builds the network.
     *
     * @param numClasses output logits
     * @return an uninitialized block taking {@code (N, C, H, W)} float input
     */
    public static SequentialBlock build(int numClasses) {
        SequentialBlock net = new SequentialBlock();
        net.add(convBnRelu(32)).add(convBnRelu(32)).add(Pool.maxPool2dBlock(new Shape(2, 2)));
        net.add(convBnRelu(64)).add(convBnRelu(64)).add(Pool.maxPool2dBlock(new Shape(2, 2)));
        net.add(convBnRelu(128));
        net.add(Pool.globalAvgPool2dBlock());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(numClasses).build());
        return net;
    }

    private static SequentialBlock convBnRelu(int filters) {
        return new SequentialBlock()
                .add(Conv2d.builder()
                        .setKernelShape(new Shape(3, 3))
                        .optPadding(new Shape(1, 1))
                        .setFilters(filters)
                        .optBias(false) // BN's beta is the bias
                        .build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock());
    }

    static final class Factory implements ModelFactory {
        @Override
        public String description() {
            return "small CNN: 2x(conv32) pool 2x(conv64) pool conv128, global avg pool, logits"
                    + " (images [C, H, W], at least " + MIN_SIDE + "x" + MIN_SIDE + ")";
        }

        @Override
        public Optional<String> mismatch(InputSpec input) {
            return Checks.image(input, MIN_SIDE);
        }

        @Override
        public Block build(InputSpec input, int numClasses) {
            return SmallCnn.build(numClasses);
        }
    }
}
