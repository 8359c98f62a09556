// Internal to src/onnx: onnx::TensorProto -> Tensor.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace sl::onnx_import {

// Converts `proto` to an owning Tensor. Data comes from raw_data, the typed field of its dtype
// (float_data, double_data, int64_data, or int32_data holding the bit patterns of int32, int16,
// uint16, int8, uint8, bool and float16), or an external data file relative to `base_dir`.
// Checks, before allocating: supported dtype, non-negative dims, size below kMaxTensorBytes, and
// that the data holds exactly dims x dtype-size. `context` starts every error message (for
// example "model.onnx: initializer 'conv.weight'").
[[nodiscard]] Result<Tensor> TensorFromProto(const onnx::TensorProto& proto,
                                             const std::string& base_dir,
                                             const std::string& context);

// Human-readable name of an ONNX TensorProto.DataType value ("bfloat16", "string", ...).
std::string OnnxDataTypeName(int32_t onnx_type);

// Where a tensor's external data lies: a regular file inside the model's folder.
struct ExternalDataRef {
  std::string path;  // base_dir joined with the location
  int64_t offset = 0;
};

// Checks the external data described by `proto.external_data()` for a tensor of `bytes` bytes,
// without reading it. Rejects locations that are absolute or contain '..', that resolve (through
// links) outside `base_dir`, negative or non-numeric offset/length, a length different from
// `bytes`, missing files and files too short.
[[nodiscard]] Result<ExternalDataRef> LocateExternalData(const onnx::TensorProto& proto,
                                                         const std::string& base_dir,
                                                         const std::string& context, size_t bytes);

// Reads `bytes` bytes at `ref` into `dst`.
[[nodiscard]] Status ReadExternalData(const ExternalDataRef& ref, const std::string& context,
                                      void* dst, size_t bytes);

}  // namespace sl::onnx_import
