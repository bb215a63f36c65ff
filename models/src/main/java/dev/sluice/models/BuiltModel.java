package dev.sluice.models;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Arrays;

/**
 * A network from the {@link ModelRegistry} together with its input contract: batches of {@link
 * #inputShape} ({@link #inputDataType}) in, logits {@code [N, numClasses]} out.
 */
public final class BuiltModel {
    private final String name;
    private final Block block;
    private final InputSpec input;
    private final int numClasses;

    BuiltModel(String name, Block block, InputSpec input, int numClasses) {
        this.name = name;
        this.block = block;
        this.input = input;
        this.numClasses = numClasses;
    }

    /** The registry name, e.g. {@code "mlp"}. */
    public String name() {
        return name;
    }

    /** The DJL block; uninitialized until {@link #initialize} or a DJL trainer initializes it. */
    public Block block() {
        return block;
    }

    /** The input field the network was built for. */
    public InputSpec input() {
        return input;
    }

    /** The number of output logits. */
    public int numClasses() {
        return numClasses;
    }

    /**
     * The shape of an input batch.
     *
     * @param batchSize N
     * @return {@code (N, C, H, W)} for images, {@code (N, dims...)} for other fields
     */
    public Shape inputShape(long batchSize) {
        return input.batchShape(batchSize);
    }

    /** FLOAT32 for dense fields, INT64 for token ids (other integer types are converted). */
    public DataType inputDataType() {
        return input.dataType();
    }

    /**
     * The shape of the logits for a batch.
     *
     * @param batchSize N
     * @return {@code (N, numClasses)}
     */
    public Shape outputShape(long batchSize) {
        return new Shape(batchSize, numClasses);
    }

    /**
     * Initializes the parameters (float32) on the manager's device. Call {@code
     * Engine.getInstance().setRandomSeed(seed)} first for identical parameters across replicas:
     * initialization draws from the engine's generator in a fixed order.
     *
     * @param manager owns the parameter arrays
     */
    public void initialize(NDManager manager) {
        // Parameters are float32 whatever the input type (token ids are integers).
        block.initialize(manager, DataType.FLOAT32, inputShape(1));
    }

    /**
     * Checks a batch shape against the contract before it reaches the network, so a wrong field
     * or layout fails with a message instead of deep inside a convolution.
     *
     * @param batch the shape of an input batch
     * @throws ModelConfigException if it is not {@code (N, dims...)}
     */
    public void checkBatch(Shape batch) {
        long[] want = input.dims();
        long[] got = batch.getShape();
        boolean ok = got.length == want.length + 1 && got[0] > 0
                && Arrays.equals(Arrays.copyOfRange(got, 1, got.length), want);
        if (!ok) {
            throw new ModelConfigException(
                    name, input.field(),
                    "Model '" + name + "' was built for " + input.describe() + " and takes batches"
                            + " (N, " + joinDims(want) + "), but got a batch " + batch
                            + ". Build the model from the field that is fed to it.");
        }
    }

    private static String joinDims(long[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i]);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + " for " + input.describe() + " -> " + numClasses + " classes";
    }
}
