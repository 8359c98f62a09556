// libFuzzer target: sl::fuzz::WorkloadEntry (fuzz_entries.h). Seed corpus: fuzz/corpus/workload/.
#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sl::fuzz::WorkloadEntry(data, size);
  return 0;
}
