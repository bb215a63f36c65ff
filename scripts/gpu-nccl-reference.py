#!/usr/bin/env python3
"""NCCL's own all-reduce figures for the GPU kit's summary: torch.distributed (NCCL backend), one
process per local GPU, float32 sum in place, the sizes given in bytes. Prints one JSON line per size
with the same fields as `bench allreduce --json` (busbw = algbw * 2(n-1)/n, as nccl-tests define it)."""
import json
import os
import sys
import time


def worker(rank, world, sizes, port, queue):
    import torch
    import torch.distributed as dist
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", rank=rank, world_size=world)
    for size in sizes:
        x = torch.ones(size // 4, dtype=torch.float32, device="cuda")
        iterations = 20 if size <= (64 << 20) else 5
        for _ in range(5):
            dist.all_reduce(x)
        torch.cuda.synchronize()
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(iterations):
            dist.all_reduce(x)
        torch.cuda.synchronize()
        seconds = (time.perf_counter() - t0) / iterations
        if rank == 0:
            alg = size / seconds / 1e9
            queue.put({"bench": "allreduce", "transport": "torch-nccl", "ranks": world, "bytes": size,
                       "seconds_per_call": seconds, "algbw_gbps": alg,
                       "busbw_gbps": alg * 2 * (world - 1) / world,
                       "torch": torch.__version__, "nccl": ".".join(map(str, torch.cuda.nccl.version()))})
    dist.destroy_process_group()


def main():
    import torch
    import torch.multiprocessing as mp
    sizes = [int(s) for s in sys.argv[1:]] or [1 << 20, 64 << 20, 1 << 30]
    world = torch.cuda.device_count()
    if world < 1:
        print(json.dumps({"bench": "allreduce", "transport": "torch-nccl", "skipped": True, "reason": "no GPU"}))
        return 1
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    mp.spawn(worker, args=(world, sizes, 29500 + os.getpid() % 1000, queue), nprocs=world, join=True)
    for _ in sizes:
        print(json.dumps(queue.get(timeout=5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
