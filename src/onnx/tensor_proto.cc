#include "onnx/tensor_proto.h"

#include <bit>
#include <cstring>

namespace sl::onnx_import {

static_assert(std::endian::native == std::endian::little,
              "ONNX raw_data is little-endian; a big-endian host needs byte swapping here");

namespace {

constexpr char kSupportedDTypes[] =
    "float32, float16, float64, int8, uint8, int16, uint16, int32, int64, bool";

// Byte size of `shape` of `dtype`; CheckShape() has bounded it.
size_t ByteSize(const Shape& shape, DType dtype) {
  return static_cast<size_t>(NumElements(shape)) * DTypeSize(dtype);
}

std::string DescribeTensor(const Shape& shape, DType dtype) {
  return "shape " + ShapeToString(shape) + " of " + std::string(DTypeName(dtype));
}

// Bools must read back as 0 or 1 whatever byte the file held.
void NormalizeBools(Tensor& t) {
  if (t.dtype() != DType::kBool) return;
  auto* p = static_cast<uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] != 0;
}

template <typename Field>
Status CheckCount(const Field& field, const char* field_name, const Shape& shape, DType dtype,
                  const std::string& context) {
  int64_t n = NumElements(shape);
  if (field.size() == n) return Status::Ok();
  return InvalidArgument(context + ": " + field_name + " holds " + std::to_string(field.size()) +
                         " values but " + DescribeTensor(shape, dtype) + " needs " +
                         std::to_string(n));
}

template <typename Dst, typename Field>
void CopyField(const Field& field, Tensor& t) {
  Dst* dst = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

// int32_data carries the bit patterns of the narrower types; values must fit them.
Status CopyInt32Data(const onnx::TensorProto& proto, Tensor& t, const std::string& context) {
  int64_t lo = 0, hi = 0;
  switch (t.dtype()) {
    case DType::kI32:
      CopyField<int32_t>(proto.int32_data(), t);
      return Status::Ok();
    case DType::kI16:
      lo = INT16_MIN, hi = INT16_MAX;
      break;
    case DType::kU16:
    case DType::kF16:
      lo = 0, hi = UINT16_MAX;
      break;
    case DType::kI8:
      lo = INT8_MIN, hi = INT8_MAX;
      break;
    case DType::kU8:
      lo = 0, hi = UINT8_MAX;
      break;
    case DType::kBool:
      lo = 0, hi = 1;
      break;
    default:
      return Internal(context + ": int32_data used for " + std::string(DTypeName(t.dtype())));
  }
  const auto& field = proto.int32_data();
  for (int i = 0; i < field.size(); ++i) {
    int64_t v = field.Get(i);
    if (v < lo || v > hi) {
      return InvalidArgument(context + ": int32_data[" + std::to_string(i) +
                             "] = " + std::to_string(v) + " does not fit " +
                             std::string(DTypeName(t.dtype())));
    }
  }
  switch (DTypeSize(t.dtype())) {
    case 1:
      CopyField<uint8_t>(field, t);
      break;
    case 2:
      CopyField<uint16_t>(field, t);
      break;
    default:
      return Internal(context + ": unexpected element size");
  }
  return Status::Ok();
}

// Counts are checked before the tensor is allocated.
Result<Tensor> FromTypedFields(const onnx::TensorProto& proto, DType dtype, const Shape& shape,
                               const std::string& context) {
  switch (dtype) {
    case DType::kF32: {
      SL_RETURN_IF_ERROR(CheckCount(proto.float_data(), "float_data", shape, dtype, context));
      Tensor t(dtype, shape);
      CopyField<float>(proto.float_data(), t);
      return t;
    }
    case DType::kF64: {
      SL_RETURN_IF_ERROR(CheckCount(proto.double_data(), "double_data", shape, dtype, context));
      Tensor t(dtype, shape);
      CopyField<double>(proto.double_data(), t);
      return t;
    }
    case DType::kI64: {
      SL_RETURN_IF_ERROR(CheckCount(proto.int64_data(), "int64_data", shape, dtype, context));
      Tensor t(dtype, shape);
      CopyField<int64_t>(proto.int64_data(), t);
      return t;
    }
    default: {
      SL_RETURN_IF_ERROR(CheckCount(proto.int32_data(), "int32_data", shape, dtype, context));
      Tensor t(dtype, shape);
      SL_RETURN_IF_ERROR(CopyInt32Data(proto, t, context));
      return t;
    }
  }
}

}  // namespace

std::string OnnxDataTypeName(int32_t onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::UNDEFINED:
      return "undefined";
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::UINT16:
      return "uint16";
    case onnx::TensorProto::INT16:
      return "int16";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::STRING:
      return "string";
    case onnx::TensorProto::BOOL:
      return "bool";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::UINT32:
      return "uint32";
    case onnx::TensorProto::UINT64:
      return "uint64";
    case onnx::TensorProto::COMPLEX64:
      return "complex64";
    case onnx::TensorProto::COMPLEX128:
      return "complex128";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
    default:
      return "data type " + std::to_string(onnx_type);
  }
}

Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir,
                               const std::string& context) {
  // 1. dtype and shape, checked before anything is allocated;
  // 2. data from external file, raw_data or the typed field, sized exactly.
  DType dtype = DTypeFromOnnx(proto.data_type());
  if (dtype == DType::kUndefined) {
    return Unsupported(context + ": unsupported dtype " + OnnxDataTypeName(proto.data_type()) +
                       "; SparseLoom supports " + kSupportedDTypes);
  }
  if (proto.has_segment()) return Unsupported(context + ": segmented tensors are not supported");
  Shape shape(proto.dims().begin(), proto.dims().end());
  SL_RETURN_IF_ERROR(CheckShape(shape, dtype, context));
  const size_t bytes = ByteSize(shape, dtype);

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    SL_ASSIGN_OR_RETURN(ExternalDataRef ref, LocateExternalData(proto, base_dir, context, bytes));
    Tensor t(dtype, shape);
    SL_RETURN_IF_ERROR(ReadExternalData(ref, context, t.raw(), bytes));
    NormalizeBools(t);
    return t;
  }
  if (proto.data_location() != onnx::TensorProto::DEFAULT) {
    return InvalidArgument(context + ": unknown data_location " +
                           std::to_string(proto.data_location()));
  }
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != bytes) {
      return InvalidArgument(context + ": raw_data holds " + std::to_string(raw.size()) +
                             " bytes but " + DescribeTensor(shape, dtype) + " needs " +
                             std::to_string(bytes));
    }
    Tensor t(dtype, shape);
    if (bytes > 0) std::memcpy(t.raw(), raw.data(), bytes);
    NormalizeBools(t);
    return t;
  }
  return FromTypedFields(proto, dtype, shape, context);
}

}  // namespace sl::onnx_import
