package dev.sluice.nccl;

/**
 * Whether NCCL can be used in this JVM, as answered by {@link Nccl#availability()}.
 *
 * @param available true if libnccl.so.2 was bound (whether a GPU is present is the CUDA binding's question)
 * @param message when available, a one-line description ("NCCL 2.27.7, CUDA runtime 13.0, ...");
 *     otherwise the message explaining what is missing and how to provide it
 */
public record NcclAvailability(boolean available, String message) {
}
