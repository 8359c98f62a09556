// libFuzzer target: sl::fuzz::JsonEntry (fuzz_entries.h). Seed corpus: fuzz/corpus/json/.
#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sl::fuzz::JsonEntry(data, size);
  return 0;
}
