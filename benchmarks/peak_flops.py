"""The fp32 matmul peak of this machine, measured in the same process as the benchmark it scales."""
import time

import torch


def matmul_peak_flops(n=2048, reps=10):
    x, y = torch.randn(n, n), torch.randn(n, n)
    torch.mm(x, y)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(x, y)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best
