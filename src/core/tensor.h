// Shapes, owning tensors and the non-owning views that kernels read and write.
//
// Ownership: a Tensor shares its buffer (std::shared_ptr), so copying a Tensor never copies
// weights. A TensorView borrows both its dims and its data; it allocates nothing and is what every
// kernel's execute() receives.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace sl {

using Shape = std::vector<int64_t>;

// Product of dims (1 for a scalar). Returns -1 if any dim is negative.
int64_t NumElements(std::span<const int64_t> dims);
std::string ShapeToString(std::span<const int64_t> dims);
// Largest tensor SparseLoom accepts, in bytes (absurd sizes are rejected, not allocated).
inline constexpr int64_t kMaxTensorBytes = int64_t{8} << 30;
// Checks dims are non-negative and the byte size is below kMaxTensorBytes without overflow.
Status CheckShape(std::span<const int64_t> dims, DType dtype, const std::string& what);

struct TensorView {
  DType dtype = DType::kUndefined;
  std::span<const int64_t> shape;
  void* data = nullptr;

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t dim(int i) const { return shape[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return NumElements(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype); }
  template <typename T>
  T* data_as() const {
    return static_cast<T*>(data);
  }
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled, 64-byte aligned buffer. Aborts on absurd sizes: call CheckShape first
  // on any shape that came from user input.
  Tensor(DType dtype, Shape shape);
  // Wraps memory owned elsewhere (kept alive by `owner`).
  Tensor(DType dtype, Shape shape, std::shared_ptr<void> owner, void* data);

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  static Tensor Scalar(float v) { return FromVector<float>({}, {v}); }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return NumElements(shape_); }
  size_t bytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }
  void* raw() const { return data_; }
  template <typename T>
  T* data() const {
    return static_cast<T*>(data_);
  }
  TensorView view() const { return TensorView{dtype_, shape_, data_}; }
  // Same buffer, new shape of equal element count.
  Tensor Reshaped(Shape shape) const;
  // Deep copy.
  Tensor Clone() const;
  // Values converted to double / int64 (for shape-like constant inputs and tests).
  std::vector<double> ToDoubles() const;
  std::vector<int64_t> ToInt64s() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

template <typename T>
Tensor Tensor::FromVector(Shape shape, const std::vector<T>& values) {
  Tensor t(DTypeOf<T>(), std::move(shape));
  SL_CHECK(static_cast<int64_t>(values.size()) == t.numel());
  T* d = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) d[i] = values[i];
  return t;
}

// 64-byte aligned allocation released by std::free.
std::shared_ptr<void> AllocateAligned(size_t bytes);

}  // namespace sl
