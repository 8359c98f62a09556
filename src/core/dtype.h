// Element types of tensors, named as in ONNX (TensorProto.DataType values kept for import).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sl {

enum class DType : int32_t {
  kUndefined = 0,
  kF32 = 1,
  kU8 = 2,
  kI8 = 3,
  kU16 = 4,
  kI16 = 5,
  kI32 = 6,
  kI64 = 7,
  kBool = 9,
  kF16 = 10,
  kF64 = 11,
};

// Size of one element in bytes; 0 for kUndefined.
size_t DTypeSize(DType t);
std::string_view DTypeName(DType t);
// Maps an ONNX TensorProto.DataType value; returns kUndefined for types SparseLoom does not hold.
DType DTypeFromOnnx(int32_t onnx_type);

template <typename T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<float>() {
  return DType::kF32;
}
template <>
constexpr DType DTypeOf<double>() {
  return DType::kF64;
}
template <>
constexpr DType DTypeOf<uint8_t>() {
  return DType::kU8;
}
template <>
constexpr DType DTypeOf<int8_t>() {
  return DType::kI8;
}
template <>
constexpr DType DTypeOf<uint16_t>() {
  return DType::kU16;
}
template <>
constexpr DType DTypeOf<int16_t>() {
  return DType::kI16;
}
template <>
constexpr DType DTypeOf<int32_t>() {
  return DType::kI32;
}
template <>
constexpr DType DTypeOf<int64_t>() {
  return DType::kI64;
}
template <>
constexpr DType DTypeOf<bool>() {
  return DType::kBool;
}

// IEEE half <-> float conversion (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace sl
