// Internal to src/onnx: reading files and parsing protobuf messages without protobuf's default
// size limits and without trusting the bytes.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>

#include "core/status.h"

namespace sl::onnx_import {

// Whole contents of the regular file at `path`. kNotFound when it does not exist; kOutOfRange when
// it is larger than protobuf can parse (2 GiB).
[[nodiscard]] Result<std::string> ReadFileBytes(const std::string& path);

// Parses `bytes` into `message` (cleared first) with a total-bytes limit of 2 GiB. `what` names
// the expected content in the error ("an ONNX model", "a TensorProto"); errors start with
// `name_for_errors`.
[[nodiscard]] Status ParseMessage(const std::string& bytes, google::protobuf::MessageLite* message,
                                  const std::string& name_for_errors, const std::string& what);

// Folder of `path` ("." for a bare file name).
std::string ParentDir(const std::string& path);

}  // namespace sl::onnx_import
