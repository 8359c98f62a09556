// Writing output files (profiles, metrics, traces, reports).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sl {

// Writes `text` to `path`, replacing the file, and creates its missing parent directories. Fails
// with one line naming the path and the system's reason.
[[nodiscard]] Status WriteTextFile(const std::string& path, std::string_view text);

// Checks, before long work, that WriteTextFile(path, ...) can succeed later: creates the missing
// parent directories and fails, as WriteTextFile would, when the path is a directory or its
// directory is not writable. Writes no file.
[[nodiscard]] Status CheckWritable(const std::string& path);

}  // namespace sl
