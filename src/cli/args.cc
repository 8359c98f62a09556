#include "cli/args.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace sl::cli {

Result<Args> Args::Parse(int argc, char** argv, const std::vector<std::string>& flags,
                         const std::vector<std::string>& options) {
  Args a;
  for (int i = 0; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0 || s == "--") {
      a.positional_.push_back(s);
      continue;
    }
    std::string name = s.substr(2), value;
    size_t eq = name.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      a.values_.emplace(name, "1");
    } else if (std::find(options.begin(), options.end(), name) != options.end()) {
      if (!inline_value) {
        if (i + 1 >= argc) return InvalidArgument("option --" + name + " needs a value");
        value = argv[++i];
      }
      a.values_.emplace(name, value);
    } else {
      return InvalidArgument("unknown option --" + name);
    }
  }
  return a;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = values_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Result<int64_t> Args::GetInt(const std::string& name, int64_t fallback, int64_t min,
                             int64_t max) const {
  if (!Has(name)) return fallback;
  std::string v = Get(name);
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < min || x > max) {
    return InvalidArgument("--" + name + " must be an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], got '" + v + "'");
  }
  return static_cast<int64_t>(x);
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

int Fail(const std::string& cmd, const Status& status) {
  std::string msg = status.message();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "sparseloom %s: %s\n", cmd.c_str(), msg.c_str());
  return 1;
}

}  // namespace sl::cli
