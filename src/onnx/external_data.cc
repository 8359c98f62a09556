// External tensor data: TensorProto.external_data {location, offset, length} relative to the
// model's folder. Paths that could leave that folder are refused.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "onnx/tensor_proto.h"

namespace sl::onnx_import {

namespace fs = std::filesystem;

namespace {

Result<int64_t> ParseNonNegative(const std::string& text, const std::string& key,
                                 const std::string& context) {
  int64_t v = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < 0) {
    return InvalidArgument(context + ": external data " + key + " '" + text +
                           "' is not a non-negative integer");
  }
  return v;
}

// Lexical checks: relative, no '..' component, no NUL byte. Both '/' and '\' separate
// components (files written on Windows).
Status CheckLocation(const std::string& location, const std::string& context) {
  const std::string what = context + ": external data location '" + location + "'";
  if (location.empty()) return InvalidArgument(context + ": external data has no location");
  if (location.find('\0') != std::string::npos)
    return InvalidArgument(what + " contains a NUL byte");
  bool drive = location.size() >= 2 && location[1] == ':';
  if (location[0] == '/' || location[0] == '\\' || drive || fs::path(location).is_absolute()) {
    return InvalidArgument(what + " is absolute; it must be relative to the model's folder");
  }
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find_first_of("/\\", start);
    if (end == std::string::npos) end = location.size();
    if (location.compare(start, end - start, "..") == 0 && end - start == 2) {
      return InvalidArgument(what + " contains '..'; it must stay inside the model's folder");
    }
    start = end + 1;
  }
  return Status::Ok();
}

// True when `inner` equals `outer` or lies below it (both canonical).
bool IsWithin(const fs::path& outer, const fs::path& inner) {
  auto o = outer.begin(), i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty() && std::next(o) == outer.end()) return true;  // trailing separator
    if (i == inner.end() || *o != *i) return false;
  }
  return true;
}

}  // namespace

Result<ExternalDataRef> LocateExternalData(const onnx::TensorProto& proto,
                                           const std::string& base_dir, const std::string& context,
                                           size_t bytes) {
  // 1. collect location / offset / length (checksum and unknown keys are ignored);
  // 2. check the location lexically, then that it resolves inside base_dir (through links);
  // 3. check the file holds [offset, offset + bytes) and that length, if given, equals bytes.
  std::string location;
  int64_t offset = 0;
  std::optional<int64_t> length;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      SL_ASSIGN_OR_RETURN(offset, ParseNonNegative(entry.value(), "offset", context));
    } else if (entry.key() == "length") {
      SL_ASSIGN_OR_RETURN(length, ParseNonNegative(entry.value(), "length", context));
    }
  }
  SL_RETURN_IF_ERROR(CheckLocation(location, context));
  if (base_dir.empty()) {
    return InvalidArgument(context + ": tensor data is in external file '" + location +
                           "' but no model folder was given to resolve it");
  }
  const std::string what = context + ": external data file '" + location + "'";
  if (length && static_cast<uint64_t>(*length) != bytes) {
    return InvalidArgument(what + ": length " + std::to_string(*length) + " but the tensor needs " +
                           std::to_string(bytes) + " bytes");
  }
  std::error_code ec;
  fs::path full = fs::path(base_dir) / fs::path(location);
  fs::path canonical_base = fs::weakly_canonical(fs::path(base_dir), ec);
  fs::path canonical_full = ec ? fs::path() : fs::weakly_canonical(full, ec);
  if (ec) return InvalidArgument(what + ": cannot resolve the path: " + ec.message());
  if (!IsWithin(canonical_base, canonical_full)) {
    return InvalidArgument(what + " resolves to '" + canonical_full.string() +
                           "', outside the model's folder");
  }
  if (!fs::is_regular_file(full, ec)) return NotFound(what + " not found in '" + base_dir + "'");
  uintmax_t size = fs::file_size(full, ec);
  if (ec) return InvalidArgument(what + ": cannot read the file size: " + ec.message());
  if (static_cast<uintmax_t>(offset) > size || bytes > size - static_cast<uintmax_t>(offset)) {
    return InvalidArgument(what + " has " + std::to_string(size) + " bytes; the tensor needs " +
                           std::to_string(bytes) + " at offset " + std::to_string(offset));
  }
  return ExternalDataRef{full.string(), offset};
}

Status ReadExternalData(const ExternalDataRef& ref, const std::string& context, void* dst,
                        size_t bytes) {
  if (bytes == 0) return Status::Ok();
  const std::string what = context + ": external data file '" + ref.path + "'";
  std::ifstream in(ref.path, std::ios::binary);
  if (!in) return InvalidArgument(what + ": cannot open the file for reading");
  in.seekg(static_cast<std::streamoff>(ref.offset));
  if (!in.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes))) {
    return InvalidArgument(what + ": read failed at offset " + std::to_string(ref.offset));
  }
  return Status::Ok();
}

}  // namespace sl::onnx_import
