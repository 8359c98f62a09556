// The entry functions of the libFuzzer targets (fuzz/fuzz_<target>.cc), shared with the unit test
// that replays fuzz/regressions/<target>/ (tests/onnx/fuzz_regression_test.cc), so a crash found by
// a fuzzer is replayed through exactly the code that found it.
//
// Each entry takes arbitrary bytes and returns the Status of the parser it drives. Bad input must
// give an error Status; a crash, a sanitizer report or a failed SL_CHECK is a bug. Entries that
// accept their input also check a property of the result and abort when it does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/json.h"
#include "core/status.h"
#include "onnx/loader.h"
#include "profile/profile.h"
#include "runtime/workload.h"

namespace sl::fuzz {

inline std::string AsString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Aborts with `what` (a property violation the fuzzer reports as a crash).
inline void Violated(const char* what, const Status& status) {
  std::fprintf(stderr, "fuzz: %s: %s\n", what, status.message().c_str());
  std::abort();
}

// ONNX loader: LoadOnnxModelFromBytes with no folder for external data (a model with external
// data is rejected).
inline Status OnnxLoaderEntry(const uint8_t* data, size_t size) {
  Result<Graph> graph = LoadOnnxModelFromBytes(AsString(data, size), "fuzz.onnx", "");
  return graph.status();
}

// JSON DOM parser (core/json.h).
inline Status JsonEntry(const uint8_t* data, size_t size) {
  return Json::Parse(AsString(data, size), "fuzz.json").status();
}

// Profile::FromJson; an accepted profile must survive ToJson -> FromJson.
inline Status ProfileEntry(const uint8_t* data, size_t size) {
  Result<Profile> profile = Profile::FromJson(AsString(data, size), "fuzz-profile.json");
  if (!profile.ok()) return profile.status();
  Result<Profile> again = Profile::FromJson(profile->ToJson(), "fuzz-profile-rewritten.json");
  if (!again.ok()) Violated("an accepted profile does not read back after ToJson", again.status());
  return Status::Ok();
}

// ParseWorkloadJson. Relative trace files resolve against a folder that does not exist, so they
// fail to open; absolute ones are read (the fuzzer rarely spells one).
inline Status WorkloadEntry(const uint8_t* data, size_t size) {
  return ParseWorkloadJson(AsString(data, size), "fuzz-workload.json", "/nonexistent-fuzz-dir")
      .status();
}

}  // namespace sl::fuzz
