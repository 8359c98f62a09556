#include "kernels/dense/matmul_spec.h"

#include <algorithm>
#include <string>

namespace sl::dense {
namespace {

Status ParseGemm(const KernelRequest& req, MatMulSpec& s) {
  const Shape& a = req.input(0).shape;
  const Shape& b = req.input(1).shape;
  if (a.size() != 2 || b.size() != 2) return InvalidArgument("Gemm needs 2-D A and B");
  const Attributes& at = req.node.attrs;
  s.trans_a = at.GetInt("transA", 0) != 0;
  s.trans_b = at.GetInt("transB", 0) != 0;
  s.alpha = at.GetFloat("alpha", 1.f);
  s.beta = at.GetFloat("beta", 1.f);
  const int64_t m = s.trans_a ? a[1] : a[0], k = s.trans_a ? a[0] : a[1];
  const int64_t kb = s.trans_b ? b[1] : b[0], n = s.trans_b ? b[0] : b[1];
  if (k != kb)
    return InvalidArgument("Gemm inner dims differ: " + std::to_string(k) + " vs " +
                           std::to_string(kb));
  s.a_dims = {m, k};
  s.b_dims = {k, n};
  s.y_dims = {m, n};
  return Status::Ok();
}

Status ParseMatMulOp(const KernelRequest& req, MatMulSpec& s) {
  Shape a = req.input(0).shape;
  Shape b = req.input(1).shape;
  if (a.empty() || b.empty()) return InvalidArgument("MatMul inputs must have rank >= 1");
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const size_t r = std::max(a.size(), b.size());
  a.insert(a.begin(), r - a.size(), 1);
  b.insert(b.begin(), r - b.size(), 1);
  if (a[r - 1] != b[r - 2]) {
    return InvalidArgument("MatMul inner dims differ: " + ShapeToString(req.input(0).shape) +
                           " x " + ShapeToString(req.input(1).shape));
  }
  Shape y(r);
  for (size_t i = 0; i + 2 < r; ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1) {
      return InvalidArgument("MatMul batch dims do not broadcast");
    }
    y[i] = a[i] == 1 ? b[i] : a[i];
  }
  y[r - 2] = a[r - 2];
  y[r - 1] = b[r - 1];
  s.a_dims = a;
  s.b_dims = b;
  s.y_dims = y;
  return Status::Ok();
}

}  // namespace

bool MatMulSpec::b_is_matrix() const {
  for (size_t i = 0; i + 2 < b_dims.size(); ++i) {
    if (b_dims[i] != 1) return false;
  }
  return true;
}

int64_t MatMulSpec::rows() const {
  int64_t r = 1;
  for (size_t i = 0; i + 1 < a_dims.size(); ++i) r *= a_dims[i];
  return r;
}

bool MatMulSpec::bias_is_row() const {
  for (size_t i = 0; i + 1 < bias_dims.size(); ++i) {
    if (bias_dims[i] != 1) return false;
  }
  return true;
}

Result<MatMulSpec> ParseMatMul(const KernelRequest& req) {
  const std::string where = DescribeNode(req);
  const bool gemm = req.node.op == OpType::kGemm;
  if (!gemm && req.node.op != OpType::kMatMul) return Unsupported(where + ": not Gemm/MatMul");
  if (!req.has_input(0) || !req.has_input(1) || req.node.outputs.empty()) {
    return InvalidArgument(where + ": needs two inputs and an output");
  }
  const int num_inputs = static_cast<int>(req.node.inputs.size());
  for (int i = 0; i < num_inputs; ++i) {
    if (req.has_input(i) && req.input(i).dtype != DType::kF32) {
      return Unsupported(where + ": dense kernels run float32 only, input " + std::to_string(i) +
                         " is " + std::string(DTypeName(req.input(i).dtype)));
    }
  }
  if (req.output(0).dtype != DType::kF32) return Unsupported(where + ": output is not float32");
  for (int i = 0; i < num_inputs; ++i) {
    if (!req.has_input(i)) continue;
    for (int64_t d : req.input(i).shape) {
      if (d < 0) return Unsupported(where + ": input " + std::to_string(i) + " is not bound");
    }
  }
  MatMulSpec s;
  SL_RETURN_IF_ERROR((gemm ? ParseGemm(req, s) : ParseMatMulOp(req, s)).WithContext(where));
  for (int64_t d : s.y_dims) {
    if (d == 0) return Unsupported(where + ": empty output");
  }
  if (s.k() == 0) return Unsupported(where + ": empty inner dimension");
  if (NumElements(req.output(0).shape) != NumElements(s.y_dims)) {
    return InvalidArgument(where + ": output shape " + ShapeToString(req.output(0).shape) +
                           " does not match the inputs");
  }
  s.b_constant = req.input(1).is_constant();
  if (req.has_input(2)) {
    s.bias_input = 2;
    const Shape& c = req.input(2).shape;
    const size_t r = s.y_dims.size();
    if (c.size() > r) return InvalidArgument(where + ": bias has a higher rank than the output");
    s.bias_dims.assign(r - c.size(), 1);
    s.bias_dims.insert(s.bias_dims.end(), c.begin(), c.end());
    for (size_t i = 0; i < r; ++i) {
      if (s.bias_dims[i] != 1 && s.bias_dims[i] != s.y_dims[i]) {
        return InvalidArgument(where + ": bias " + ShapeToString(c) +
                               " does not broadcast to the output");
      }
    }
    s.bias_constant = req.input(2).is_constant();
  }
  SL_ASSIGN_OR_RETURN(s.act, FusedActivation::FromNode(req.node));
  return s;
}

bool CollapseBatch(MatMulSpec& s) {
  if (s.a_dims.size() == 2 || !s.b_is_matrix() || s.trans_a) return false;
  const bool bias_full = s.bias_input >= 0 && s.bias_dims == s.y_dims;
  if (s.bias_input >= 0 && !s.bias_is_row() && !bias_full) return false;
  const int64_t rows = s.rows(), k = s.k(), n = s.n();
  s.a_dims = {rows, k};
  s.b_dims = {k, n};
  s.y_dims = {rows, n};
  if (s.bias_input >= 0) s.bias_dims = bias_full ? s.y_dims : std::vector<int64_t>{1, n};
  return true;
}

}  // namespace sl::dense
