#!/usr/bin/env python3
"""PyTorch side of `bench images`: torchvision ImageFolder + DataLoader (PIL decode, RandomResizedCrop,
horizontal flip, ToTensor, Normalize) over the same JPEG folder, workers = cores. Prints images/s
(median of the measured epochs after one warm-up epoch).

    python3 scripts/bench-images-torch.py DIR [--image-size 224] [--batch-size 64] [--epochs 3]
"""
import argparse
import os
import statistics
import time

import torch
from torchvision import datasets, transforms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(1)
    tf = transforms.Compose([
        transforms.RandomResizedCrop(a.image_size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(a.dir, transform=tf)
    dl = torch.utils.data.DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=a.workers,
                                     persistent_workers=True)
    rates = []
    for epoch in range(a.epochs + 1):
        n = 0
        t0 = time.perf_counter()
        for x, y in dl:
            n += x.shape[0]
        rate = n / (time.perf_counter() - t0)
        if epoch > 0:
            rates.append(rate)
    print(f"torchvision {len(ds)} images, {a.workers} workers, {a.image_size}px: "
          f"{statistics.median(rates):.1f} images/s (median of {a.epochs})")


if __name__ == "__main__":
    main()
