// Note [Kernel clones]: the augmentation kernels are compiled once per instruction set (AVX-512,
// AVX2, and the baseline x86-64 SSE2) and the loader picks the widest the CPU has when the
// program starts (GCC's target_clones, dispatched through an ifunc). `flatten` inlines every
// helper into each clone, so the helpers run at that clone's width too. Every clone computes the
// same value: vectors only run the per-pixel arithmetic of several pixels side by side, in the
// same order per pixel, and the files build with -ffp-contract=off so no clone fuses a multiply
// into an add. The tests compare the dispatched kernels with plain loops bit for bit. The one
// exception is HED stain jitter, whose logf and expf come from glibc's vector math library: its
// SSE, AVX2 and AVX-512 variants (and the scalar functions, for a loop's last pixels) may differ
// in their last bits, so HED's output can differ by a few units in the last place between CPUs.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PATHODINO_KERNEL_CLONES \
  __attribute__((target_clones("avx512f", "avx2", "default"), flatten))
#else
#define PATHODINO_KERNEL_CLONES
#endif
