// Per-request records as CSV, one line per request (`run --records`, docs/runtime.md).
#pragma once

#include <string>
#include <vector>

#include "runtime/metrics.h"

namespace sl {

// The header line of RecordsCsv.
std::string RecordsCsvHeader();

// One line per record, `policy` in the first column; times in microseconds from the start of
// the run (finish_us of a rejected request: when it was rejected; start_us: 0); stitch and
// placement as variant / processor indices joined by '-' (empty when the record was not served or
// the run kept no stitches). `task_names` names record.task.
std::string RecordsCsv(const std::vector<RequestRecord>& records,
                       const std::vector<std::string>& task_names, const std::string& policy);

}  // namespace sl
