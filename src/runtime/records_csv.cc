#include "runtime/records_csv.h"

#include <cstdio>

namespace sl {
namespace {

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
  char buf[512];
  for (const RequestRecord& r : records) {
    const std::string task = r.task >= 0 && r.task < static_cast<int>(task_names.size())
                                 ? task_names[static_cast<size_t>(r.task)]
                                 : std::to_string(r.task);
    const double latency = r.served ? r.finish_us - r.arrival_us : 0;
    std::snprintf(
        buf, sizeof buf,
        "%s,%lld,%s,%lld,%.3f,%.3f,%d,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%lld,%s,%s,%.6g,%.6g,%d,"
        "%d,%d\n",
        policy.c_str(), static_cast<long long>(r.id), task.c_str(),
        static_cast<long long>(r.sample), r.arrival_us, r.deadline_us, r.served ? 1 : 0,
        r.reason.c_str(), r.served ? r.start_us : 0.0, r.finish_us, latency, r.predicted_latency_us,
        r.load_us, static_cast<long long>(r.stitch_index), Joined(r.stitch).c_str(),
        Joined(r.placement).c_str(), r.stitch_accuracy, r.accuracy_min, r.correct ? 1 : 0,
        r.late() ? 1 : 0, r.violation() ? 1 : 0);
    out += buf;
  }
  return out;
}

}  // namespace sl
