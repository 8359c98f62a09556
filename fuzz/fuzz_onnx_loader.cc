// libFuzzer target: sl::fuzz::OnnxLoaderEntry (fuzz_entries.h). Seed corpus:
// fuzz/corpus/onnx_loader/.
#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sl::fuzz::OnnxLoaderEntry(data, size);
  return 0;
}
