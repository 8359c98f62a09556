#include "onnx/proto_io.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace sl::onnx_import {

namespace fs = std::filesystem;

Result<std::string> ReadFileBytes(const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return NotFound(path + ": no such file");
  if (!fs::is_regular_file(st)) return InvalidArgument(path + ": not a regular file");
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return InvalidArgument(path + ": cannot read the file size: " + ec.message());
  if (size > static_cast<uintmax_t>(INT_MAX)) {
    return OutOfRange(path + ": file is " + std::to_string(size) +
                      " bytes, over protobuf's 2 GiB limit; store weights as external data");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open the file for reading");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0 && !in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return InvalidArgument(path + ": read failed after " + std::to_string(in.gcount()) + " of " +
                           std::to_string(size) + " bytes");
  }
  return bytes;
}

Status ParseMessage(const std::string& bytes, google::protobuf::MessageLite* message,
                    const std::string& name_for_errors, const std::string& what) {
  message->Clear();
  if (bytes.empty()) return InvalidArgument(name_for_errors + ": empty file, not " + what);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return OutOfRange(name_for_errors + ": " + std::to_string(bytes.size()) +
                      " bytes, over protobuf's 2 GiB limit; store weights as external data");
  }
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                static_cast<int>(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  if (!message->ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    return InvalidArgument(name_for_errors + ": not " + what +
                           " (protobuf parsing failed: the file is truncated, corrupt or of "
                           "another format)");
  }
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace sl::onnx_import
