// PackNmPanels and the NmRows dispatch (nm_panels.h).
#include "kernels/sparse/nm_panels.h"

#include "core/status.h"
#include "kernels/sparse/spmm.h"

namespace sl::sparse {

NmPanels PackNmPanels(const PackedMatrix& w, const float* bias, int lanes) {
  SL_CHECK(w.format == SparseFormat::kNm24 && lanes > 0);
  NmPanels p;
  p.lanes = lanes;
  p.n = w.rows;
  p.k = w.cols;
  p.groups = w.nm_groups();
  p.panels = (w.rows + lanes - 1) / lanes;
  const auto size = static_cast<size_t>(p.panels * p.groups * 2 * lanes);
  p.val.assign(size, 0.f);
  p.off.assign(size, 0);
  p.bias.assign(static_cast<size_t>(p.panels * lanes), 0.f);
  for (int64_t n = 0; n < w.rows; ++n) {
    const int64_t panel = n / lanes, lane = n % lanes;
    p.bias[n] = bias[n];
    for (int64_t g = 0; g < p.groups; ++g) {
      for (int s = 0; s < 2; ++s) {
        const size_t from = static_cast<size_t>((n * p.groups + g) * 2 + s);
        const size_t to = static_cast<size_t>(((panel * p.groups + g) * 2 + s) * lanes + lane);
        p.val[to] = w.val[from];
        p.off[to] = w.nm_off[from];
      }
    }
  }
  return p;
}

NmRowsFn NmRowsFor(dense::SimdLevel level) {
  switch (level) {
    case dense::SimdLevel::kAvx512:
      return NmRowsAvx512;
    case dense::SimdLevel::kAvx2:
      return NmRowsAvx2;
    case dense::SimdLevel::kScalar:
      break;
  }
  return nullptr;
}

int NmLanes(dense::SimdLevel level) {
  return static_cast<int>(VectorWidth(level) > 1 ? VectorWidth(level) : 0);
}

}  // namespace sl::sparse
