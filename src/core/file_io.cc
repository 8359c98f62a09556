#include "core/file_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace sl {

Status WriteTextFile(const std::string& path, std::string_view text) {
  if (path.empty()) return InvalidArgument("output file: empty path");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return InvalidArgument(path + ": cannot create directory '" + parent.string() +
                             "': " + ec.message());
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return InvalidArgument(path + ": cannot open for writing: " + std::strerror(errno));
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  if (!f) return Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace sl
