/**
 * Typed Java API over NCCL (through JavaCPP's {@code org.bytedeco.cuda.global.nccl}): unique ids for
 * rendezvous, communicators and collectives on raw device addresses and CUDA stream handles.
 *
 * <p>Entry point: {@link dev.sluice.nccl.Nccl#load()} (or {@link dev.sluice.nccl.Nccl#availability()}),
 * which loads the CUDA runtime and NCCL natives once per JVM and returns an {@link
 * dev.sluice.nccl.NcclRuntime}. {@code libnccl.so.2} is not shipped by any Maven artifact: it comes
 * from the GPU host ({@code LD_LIBRARY_PATH}, NVIDIA's packages, the {@code nvidia-nccl-cu13} wheel) or
 * an explicit path ({@link dev.sluice.nccl.NcclLoadOptions#withNcclLibrary}).
 *
 * <p>The value types ({@link dev.sluice.nccl.NcclDataType}, {@link dev.sluice.nccl.NcclRedOp},
 * {@link dev.sluice.nccl.NcclResult}, {@link dev.sluice.nccl.NcclUniqueId}, the exceptions and
 * options) never touch native code, so they are safe to use on machines without CUDA.
 *
 * <p>This module knows nothing of DJL: it moves bytes at device addresses on streams.
 */
package dev.sluice.nccl;
