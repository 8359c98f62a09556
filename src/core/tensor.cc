#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>

namespace sl {

int64_t NumElements(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

std::string ShapeToString(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

Status CheckShape(std::span<const int64_t> dims, DType dtype, const std::string& what) {
  int64_t bytes = static_cast<int64_t>(DTypeSize(dtype));
  if (bytes == 0) bytes = 1;
  for (int64_t d : dims) {
    if (d < 0)
      return InvalidArgument(what + ": negative dimension in shape " + ShapeToString(dims));
    if (d > 0 && bytes > kMaxTensorBytes / d) {
      return OutOfRange(what + ": shape " + ShapeToString(dims) + " would need more than " +
                        std::to_string(kMaxTensorBytes >> 30) + " GiB");
    }
    bytes *= d;
  }
  return Status::Ok();
}

std::shared_ptr<void> AllocateAligned(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  SL_CHECK(p != nullptr);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  SL_CHECK(CheckShape(shape_, dtype_, "tensor").ok());
  owner_ = AllocateAligned(bytes());
  data_ = owner_.get();
  std::memset(data_, 0, bytes());
}

Tensor::Tensor(DType dtype, Shape shape, std::shared_ptr<void> owner, void* data)
    : dtype_(dtype), shape_(std::move(shape)), owner_(std::move(owner)), data_(data) {}

Tensor Tensor::Reshaped(Shape shape) const {
  SL_CHECK(NumElements(shape) == numel());
  return Tensor(dtype_, std::move(shape), owner_, data_);
}

Tensor Tensor::Clone() const {
  Tensor t(dtype_, shape_);
  if (bytes()) std::memcpy(t.data_, data_, bytes());
  return t;
}

namespace {
template <typename Out>
std::vector<Out> Convert(const Tensor& t) {
  std::vector<Out> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t.dtype()) {
      case DType::kF32:
        v[i] = static_cast<Out>(t.data<float>()[i]);
        break;
      case DType::kF64:
        v[i] = static_cast<Out>(t.data<double>()[i]);
        break;
      case DType::kF16:
        v[i] = static_cast<Out>(HalfToFloat(t.data<uint16_t>()[i]));
        break;
      case DType::kU8:
        v[i] = static_cast<Out>(t.data<uint8_t>()[i]);
        break;
      case DType::kI8:
        v[i] = static_cast<Out>(t.data<int8_t>()[i]);
        break;
      case DType::kU16:
        v[i] = static_cast<Out>(t.data<uint16_t>()[i]);
        break;
      case DType::kI16:
        v[i] = static_cast<Out>(t.data<int16_t>()[i]);
        break;
      case DType::kI32:
        v[i] = static_cast<Out>(t.data<int32_t>()[i]);
        break;
      case DType::kI64:
        v[i] = static_cast<Out>(t.data<int64_t>()[i]);
        break;
      case DType::kBool:
        v[i] = static_cast<Out>(t.data<bool>()[i]);
        break;
      case DType::kUndefined:
        v[i] = 0;
        break;
    }
  }
  return v;
}
}  // namespace

std::vector<double> Tensor::ToDoubles() const { return Convert<double>(*this); }
std::vector<int64_t> Tensor::ToInt64s() const { return Convert<int64_t>(*this); }

}  // namespace sl
