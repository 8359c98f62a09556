#include "runtime/records_csv.h"

#include <cstdio>

namespace sl {
namespace {

// A CSV field: as is, or quoted (quotes doubled) when it holds a comma, quote or line break.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string Joined(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "-" : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

std::string RecordsCsvHeader() {
  return "policy,id,task,sample,arrival_us,deadline_us,served,reason,start_us,finish_us,"
         "latency_us,predicted_latency_us,load_us,stitch_index,stitch,placement,stitch_accuracy,"
         "accuracy_min,correct,late,violation\n";
}

std::string RecordsCsv(const std::vector<RequestRecord>& records,
                       const std::vector<std::string>& task_names, const std::string& policy) {
  std::string out;
  out.reserve(records.size() * 160);
  const std::string pol = Field(policy);
  char buf[384];  // the numeric fields only: bounded
  for (const RequestRecord& r : records) {
    const std::string task = Field(r.task >= 0 && r.task < static_cast<int>(task_names.size())
                                       ? task_names[static_cast<size_t>(r.task)]
                                       : std::to_string(r.task));
    const double latency = r.served ? r.finish_us - r.arrival_us : 0;
    out += pol;
    std::snprintf(buf, sizeof buf, ",%lld,", static_cast<long long>(r.id));
    out += buf;
    out += task;
    std::snprintf(buf, sizeof buf, ",%lld,%.3f,%.3f,%d,", static_cast<long long>(r.sample),
                  r.arrival_us, r.deadline_us, r.served ? 1 : 0);
    out += buf;
    out += Field(r.reason);
    std::snprintf(buf, sizeof buf, ",%.3f,%.3f,%.3f,%.3f,%.3f,%lld,", r.served ? r.start_us : 0.0,
                  r.finish_us, latency, r.predicted_latency_us, r.load_us,
                  static_cast<long long>(r.stitch_index));
    out += buf;
    out += Joined(r.stitch) + "," + Joined(r.placement);
    std::snprintf(buf, sizeof buf, ",%.6g,%.6g,%d,%d,%d\n", r.stitch_accuracy, r.accuracy_min,
                  r.correct ? 1 : 0, r.late() ? 1 : 0, r.violation() ? 1 : 0);
    out += buf;
  }
  return out;
}

}  // namespace sl
