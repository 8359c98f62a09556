// SL_CPU_CLONES: compiles a function for AVX-512, AVX2+FMA and the baseline ISA; the loader picks
// one (ifunc). Used by the fast CPU kernels (kernels/cpu/vec_math.h) and the joint optimizer's
// batched objective (sched/evaluator.cc).
//
// x86-64-v3 rather than arch=haswell: an arch= clone is dispatched on the CPU model, so AMD cores
// ran the baseline clone. The AVX2 clone vectorises only with -fno-trapping-math (CMakeLists.txt).
// clang 14 cannot multiversion function templates, so the clang build (sanitizers and fuzzers,
// docs/reliability.md) compiles the baseline ISA only.
#pragma once

#if defined(__clang__)
#define SL_CPU_CLONES
#else
#define SL_CPU_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#endif
