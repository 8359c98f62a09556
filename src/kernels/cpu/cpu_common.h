// Shared pieces of the fast CPU kernels: the CpuKernel base (prepared element counts checked at
// Execute), the threading rule and small prepare-time helpers. Nothing here allocates at Execute.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/kernel.h"

namespace sl::cpu {

// Below this many elements moved by one node, a kernel runs on the calling thread only. These
// kernels are memory-bound: one thread moves 2^18 floats in ~0.1 ms, while waking a second
// OpenMP thread costs 5-20 us when the core is idle and a scheduler time slice (ms) when another
// process holds it, so only large tensors are split.
inline constexpr int64_t kParallelMinElements = int64_t{1} << 18;

// Threads worth using for `items` independent work items that move `elements` elements in all.
inline int ThreadsFor(int64_t items, int64_t elements, int num_threads) {
  if (elements <= kParallelMinElements || num_threads <= 1) return 1;
  const int64_t by_work = elements / (kParallelMinElements / 2);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({num_threads, items, by_work})));
}

// Calls fn(begin, end) over a static partition of [0, items) on ThreadsFor(...) OpenMP threads.
template <typename Fn>
void ParallelFor(int64_t items, int64_t elements, int num_threads, const Fn& fn) {
  const int threads = ThreadsFor(items, elements, num_threads);
  if (threads <= 1) {
    if (items > 0) fn(int64_t{0}, items);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
    const int64_t begin = items * t / n, end = items * (t + 1) / n;
    if (begin < end) fn(begin, end);
  }
}

// Work along the middle axis of an [outer, n, inner] tensor, over up to num_threads threads: with
// inner == 1, rows(begin, end) for ranges of the outer rows; otherwise cols(o, c0, width) for
// each outer index o and block of `block` neighbouring inner columns from c0 (width <= block), so
// that every load along n is contiguous.
template <typename Rows, typename Cols>
void ForAlongMiddleAxis(int64_t outer, int64_t n, int64_t inner, int64_t block, int num_threads,
                        const Rows& rows, const Cols& cols) {
  const int64_t total = outer * n * inner;
  if (inner == 1) {
    ParallelFor(outer, total, num_threads, rows);
    return;
  }
  const int64_t blocks = (inner + block - 1) / block;
  ParallelFor(outer * blocks, total, num_threads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t o = item / blocks, c0 = (item % blocks) * block;
      cols(o, c0, std::min(block, inner - c0));
    }
  });
}

inline int64_t Product(std::span<const int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// Base of every fast CPU kernel: remembers the node label and the element count of each
// input/output so Execute() can reject views that differ from what was prepared.
class CpuKernel : public Kernel {
 public:
  std::string name() const override { return name_; }

 protected:
  // Records the node; Unsupported when a shape is not fully known. `name` is shown as "cpu:<name>".
  Status Bind(const KernelRequest& req, const std::string& name);
  // Checks counts, element counts and non-null data of the views (allocates only on failure).
  Status CheckViews(std::span<const TensorView> inputs, std::span<const TensorView> outputs) const;

  std::string name_;
  std::string where_;                  // "node 'n' (Op)"
  std::vector<int64_t> in_numel_;      // -1: omitted optional input
  std::vector<int64_t> out_numel_;     // -1: omitted optional output
  bool all_outputs_optional_ = false;  // Split: outputs with null data are skipped
};

// "node 'n' (Op)" of a request, for prepare-time messages.
std::string Describe(const KernelRequest& req);
// Unsupported unless every present input in `float_inputs` and every output is float32.
Status RequireFloat(const KernelRequest& req, std::initializer_list<int> float_inputs);

}  // namespace sl::cpu
