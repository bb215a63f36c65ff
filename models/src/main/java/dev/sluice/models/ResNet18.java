package dev.sluice.models;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.Arrays;
import java.util.Optional;

/**
 * ResNet-18 (He et al., 2015): four stages of two basic residual blocks with 64, 128, 256 and
 * 512 filters, global average pooling and the logits.
 *
 * <p>Small images (both sides at most {@value #SMALL_IMAGE_MAX_SIDE}, e.g. CIFAR's 32x32) get a
 * 3x3 stride-1 stem without max-pool, so the last stage still sees 4x4 at 32x32; larger images
 * get the standard 7x7 stride-2 stem and 3x3 stride-2 max-pool. The three stride-2 stages need
 * at least {@value #MIN_SIDE}x{@value #MIN_SIDE} pixels.
 */
public final class ResNet18 {
    /** Registry name. */
    public static final String NAME = "resnet18";

    /** Images whose sides are both at most this get the small (CIFAR-style) stem. */
    public static final int SMALL_IMAGE_MAX_SIDE = 64;

    /** Smallest H and W: the small stem keeps full size and three stages halve it. */
    public static final int MIN_SIDE = 8;

    private static final int[] FILTERS = {64, 128, 256, 512};

    private ResNet18() {}

    /**
     * Whether an image of this size gets the 3x3 stem without max-pool.
     *
     * @param height H
     * @param width W
     * @return true for the small-image stem
     */
    public static boolean usesSmallStem(long height, long width) {
        return height <= SMALL_IMAGE_MAX_SIDE && width <= SMALL_IMAGE_MAX_SIDE;
    }

    /**
     * Builds the network.
     *
     * @param smallStem 3x3 stride-1 stem without max-pool (small images) or the 7x7 stride-2
     *     stem with max-pool
     * @param numClasses output logits
     * @return an uninitialized block taking {@code (N, C, H, W)} float input
     */
    public static SequentialBlock build(boolean smallStem, int numClasses) {
        SequentialBlock net = new SequentialBlock();
        if (smallStem) {
            net.add(conv(FILTERS[0], 3, 1)).add(BatchNorm.builder().build())
                    .add(Activation.reluBlock());
        } else {
            net.add(conv(FILTERS[0], 7, 2)).add(BatchNorm.builder().build())
                    .add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        }
        int inFilters = FILTERS[0];
        for (int stage = 0; stage < FILTERS.length; stage++) {
            int filters = FILTERS[stage];
            int stride = stage == 0 ? 1 : 2;
            net.add(basicBlock(filters, stride, stride != 1 || inFilters != filters));
            net.add(basicBlock(filters, 1, false));
            inFilters = filters;
        }
        net.add(Pool.globalAvgPool2dBlock());
        net.add(Blocks.batchFlattenBlock());
        net.add(Linear.builder().setUnits(numClasses).build());
        return net;
    }

    /** relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)). */
    private static Block basicBlock(int filters, int stride, boolean projectShortcut) {
        SequentialBlock main = new SequentialBlock()
                .add(conv(filters, 3, stride))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(conv(filters, 3, 1))
                .add(BatchNorm.builder().build());
        Block shortcut = projectShortcut
                ? new SequentialBlock().add(conv(filters, 1, stride)).add(BatchNorm.builder().build())
                : Blocks.identityBlock();
        return new ParallelBlock(
                outs -> new NDList(Activation.relu(
                        outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow()))),
                Arrays.asList(main, shortcut));
    }

    private static Conv2d conv(int filters, int kernel, int stride) {
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .setFilters(filters)
                .optBias(false) // followed by BN, whose beta is the bias
                .build();
    }

    static final class Factory implements ModelFactory {
        @Override
        public String description() {
            return "ResNet-18 (3x3 stem without max-pool for images up to " + SMALL_IMAGE_MAX_SIDE
                    + "x" + SMALL_IMAGE_MAX_SIDE + ", standard stem above; at least " + MIN_SIDE
                    + "x" + MIN_SIDE + ")";
        }

        @Override
        public Optional<String> mismatch(InputSpec input) {
            return Checks.image(input, MIN_SIDE);
        }

        @Override
        public Block build(InputSpec input, int numClasses) {
            return ResNet18.build(usesSmallStem(input.height(), input.width()), numClasses);
        }
    }
}
