// libFuzzer target: sl::fuzz::ProfileEntry (fuzz_entries.h). Seed corpus: fuzz/corpus/profile/.
#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sl::fuzz::ProfileEntry(data, size);
  return 0;
}
