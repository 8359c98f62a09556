// Replays the fuzzers' inputs through their own entry functions (fuzz/fuzz_entries.h,
// docs/reliability.md):
//   - fuzz/regressions/<target>/: inputs that once crashed a fuzzer or tripped a sanitizer; each
//     must now give one error Status (and no crash, which the sanitizer build checks);
//   - fuzz/corpus/<target>/: the seed corpus keeps its verdict, files named bad-* rejected and the
//     others accepted, so the seeds stay valid inputs as the formats change.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_entries.h"

namespace sl {
namespace {

namespace fs = std::filesystem;

struct FuzzTarget {
  const char* name;
  Status (*entry)(const uint8_t* data, size_t size);
};

const FuzzTarget kTargets[] = {{"onnx_loader", fuzz::OnnxLoaderEntry},
                               {"json", fuzz::JsonEntry},
                               {"profile", fuzz::ProfileEntry},
                               {"workload", fuzz::WorkloadEntry}};

// Regular files of `dir` (none when it does not exist), sorted, dot files skipped.
std::vector<fs::path> InputsIn(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Status Replay(const FuzzTarget& target, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string s = bytes.str();
  return target.entry(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(FuzzRegressionTest, EveryRegressionInputGivesOneError) {
  int replayed = 0;
  for (const FuzzTarget& target : kTargets) {
    for (const fs::path& file :
         InputsIn(fs::path(SL_SOURCE_DIR) / "fuzz/regressions" / target.name)) {
      Status status = Replay(target, file);
      EXPECT_FALSE(status.ok()) << file << " is accepted";
      EXPECT_EQ(status.message().find('\n'), std::string::npos) << file << ": " << status.message();
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0) << "no regression inputs found under " SL_SOURCE_DIR "/fuzz/regressions";
}

TEST(FuzzCorpusTest, SeedsKeepTheirVerdict) {
  for (const FuzzTarget& target : kTargets) {
    const std::vector<fs::path> files =
        InputsIn(fs::path(SL_SOURCE_DIR) / "fuzz/corpus" / target.name);
    EXPECT_FALSE(files.empty()) << "no seed corpus for " << target.name;
    for (const fs::path& file : files) {
      const bool bad = file.filename().string().rfind("bad-", 0) == 0;
      Status status = Replay(target, file);
      EXPECT_EQ(status.ok(), !bad) << target.name << " seed " << file.filename() << ": "
                                   << (status.ok() ? "accepted" : status.message());
    }
  }
}

}  // namespace
}  // namespace sl
