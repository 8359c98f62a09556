// Minimal argument parsing shared by the subcommands: positional arguments plus
// `--flag`, `--key value` and repeated `--key value` options.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace sl::cli {

class Args {
 public:
  // `flags` are options without a value; every other --option takes one value.
  static Result<Args> Parse(int argc, char** argv, const std::vector<std::string>& flags,
                            const std::vector<std::string>& options);
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  // Integer option within [min, max]; fails naming the option otherwise.
  Result<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  // Sets (replaces) an option's value.
  void Set(const std::string& name, const std::string& value) {
    values_.erase(name);
    values_.emplace(name, value);
  }

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
};

// Each subcommand: returns the process exit code; prints errors as one line on stderr.
int RunInspect(int argc, char** argv);
int RunRunModel(int argc, char** argv);
int RunConformance(int argc, char** argv);
int RunPool(int argc, char** argv);
int RunProfile(int argc, char** argv);
int RunPareto(int argc, char** argv);
int RunRun(int argc, char** argv);
int RunDemo(int argc, char** argv);
int RunSimulate(int argc, char** argv);
int RunEval(int argc, char** argv);

// Splits "a,b,,c" into {"a", "b", "c"} (empty items dropped).
std::vector<std::string> SplitComma(const std::string& s);

// Prints "sparseloom <cmd>: <message>" on stderr and returns 1.
int Fail(const std::string& cmd, const Status& status);

}  // namespace sl::cli
