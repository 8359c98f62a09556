#include "core/file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace sl {

namespace {

Status MakeParent(const std::string& path) {
  if (path.empty()) return InvalidArgument("output file: empty path");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    return InvalidArgument(path + ": cannot create directory '" + parent.string() +
                           "': " + ec.message());
  return Status::Ok();
}

}  // namespace

Status CheckWritable(const std::string& path) {
  SL_RETURN_IF_ERROR(MakeParent(path));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return InvalidArgument(path + ": cannot open for writing: Is a directory");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  const bool exists = std::filesystem::exists(path, ec);
  if (access(exists ? path.c_str() : dir.c_str(), W_OK) != 0)
    return InvalidArgument(path + ": cannot open for writing: " + std::strerror(errno));
  return Status::Ok();
}

Status WriteTextFile(const std::string& path, std::string_view text) {
  SL_RETURN_IF_ERROR(MakeParent(path));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return InvalidArgument(path + ": cannot open for writing: " + std::strerror(errno));
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  if (!f) return Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace sl
