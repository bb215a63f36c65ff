package dev.sluice.nccl;

/**
 * An open NCCL group ({@code ncclGroupStart} was called); {@link #close()} calls {@code ncclGroupEnd}.
 * Use with try-with-resources so the group is ended even when a call inside it throws (an unbalanced
 * group would swallow every later NCCL call of this thread). Belongs to the thread that opened it.
 */
public final class NcclGroup implements AutoCloseable {
    private final NcclRuntime runtime;
    private boolean closed;

    NcclGroup(NcclRuntime runtime) {
        this.runtime = runtime;
    }

    /** Ends the group ({@code ncclGroupEnd}), launching the grouped calls; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runtime.groupEnd();
    }
}
