/**
 * Typed Java API over NCCL (bound with JNA to {@code libnccl.so.2} alone): unique ids for
 * rendezvous, communicators and collectives on raw device addresses and CUDA stream handles.
 *
 * <p>Entry point: {@link dev.sluice.nccl.Nccl#load()} (or {@link dev.sluice.nccl.Nccl#availability()}),
 * which binds NCCL once per JVM and returns an {@link
 * dev.sluice.nccl.NcclRuntime}. {@code libnccl.so.2} is not shipped by any Maven artifact: it comes
 * from the GPU host ({@code LD_LIBRARY_PATH}, NVIDIA's packages, the {@code nvidia-nccl-cu12} wheel) or
 * an explicit path ({@link dev.sluice.nccl.NcclLoadOptions#withNcclLibrary}).
 *
 * <p>The value types ({@link dev.sluice.nccl.NcclDataType}, {@link dev.sluice.nccl.NcclRedOp},
 * {@link dev.sluice.nccl.NcclResult}, {@link dev.sluice.nccl.NcclUniqueId}, the exceptions and
 * options) never touch native code, so they are safe to use on machines without CUDA.
 *
 * <p>This module knows nothing of DJL and binds no CUDA runtime: it moves bytes at device addresses
 * on streams, given as plain {@code long} values by the caller's CUDA binding (JCuda in the engine).
 */
package dev.sluice.nccl;
