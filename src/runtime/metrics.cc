#include "runtime/metrics.h"

#include <algorithm>
#include <cstdio>

#include "core/json_writer.h"

namespace sl {

namespace {

double Percentile(std::vector<float>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

constexpr size_t kReservoir = size_t{1} << 16;

void Merge(const TaskMetrics& a, TaskMetrics* total) {
  total->requests += a.requests;
  total->served += a.served;
  total->rejected += a.rejected;
  total->late += a.late;
  total->below_floor += a.below_floor;
  total->violations += a.violations;
  total->correct += a.correct;
  for (const auto& [k, n] : a.rejected_by_reason) total->rejected_by_reason[k] += n;
}

void Derive(double duration_s, std::vector<float>& lat, TaskMetrics* m) {
  m->violation_rate = m->requests ? double(m->violations) / m->requests : 0;
  const int64_t good = m->requests - m->violations;
  m->throughput_rps = duration_s > 0 ? m->served / duration_s : 0;
  m->goodput_rps = duration_s > 0 ? good / duration_s : 0;
  m->delivered_accuracy = m->served ? double(m->correct) / m->served : 0;
  if (lat.empty()) return;
  double sum = 0;
  for (float x : lat) {
    sum += x;
    m->latency.max_ms = std::max<double>(m->latency.max_ms, x);
  }
  m->latency.mean_ms = sum / lat.size();
  m->latency.p50_ms = Percentile(lat, 0.50);
  m->latency.p95_ms = Percentile(lat, 0.95);
  m->latency.p99_ms = Percentile(lat, 0.99);
}

void WriteTask(JsonWriter& w, const TaskMetrics& m) {
  w.BeginObject();
  w.Key("name").String(m.name);
  w.Key("requests").Int(m.requests);
  w.Key("served").Int(m.served);
  w.Key("rejected").Int(m.rejected);
  w.Key("rejected_by_reason").BeginObject();
  for (const auto& [k, n] : m.rejected_by_reason) w.Key(k).Int(n);
  w.EndObject();
  w.Key("late").Int(m.late);
  w.Key("below_accuracy_floor").Int(m.below_floor);
  w.Key("violations").Int(m.violations);
  w.Key("violation_rate").Double(m.violation_rate);
  w.Key("throughput_rps").Double(m.throughput_rps);
  w.Key("goodput_rps").Double(m.goodput_rps);
  w.Key("delivered_accuracy").Double(m.delivered_accuracy);
  w.Key("latency_ms").BeginObject();
  w.Key("p50").Double(m.latency.p50_ms);
  w.Key("p95").Double(m.latency.p95_ms);
  w.Key("p99").Double(m.latency.p99_ms);
  w.Key("mean").Double(m.latency.mean_ms);
  w.Key("max").Double(m.latency.max_ms);
  w.EndObject();
  w.EndObject();
}

void WriteTiming(JsonWriter& w, const char* key, const DecisionTiming& t) {
  w.Key(key).BeginObject();
  w.Key("decisions").Int(t.count);
  w.Key("mean_us").Double(t.mean_us);
  w.Key("p99_us").Double(t.p99_us);
  w.Key("max_us").Double(t.max_us);
  w.EndObject();
}

}  // namespace

void MetricsCollector::Timings::Add(double us) {
  ++count;
  sum += us;
  max = std::max(max, us);
  if (sample.size() < kReservoir) {
    sample.push_back(static_cast<float>(us));
    return;
  }
  rng ^= rng << 13;  // xorshift64: a reproducible reservoir (Algorithm R)
  rng ^= rng >> 7;
  rng ^= rng << 17;
  const uint64_t j = rng % static_cast<uint64_t>(count);
  if (j < kReservoir) sample[j] = static_cast<float>(us);
}

DecisionTiming MetricsCollector::Timings::Summary() const {
  DecisionTiming t;
  t.count = count;
  if (count == 0) return t;
  t.mean_us = sum / static_cast<double>(count);
  t.max_us = max;
  std::vector<float> v = sample;
  t.p99_us = Percentile(v, 0.99);
  return t;
}

MetricsCollector::MetricsCollector(std::vector<std::string> task_names, bool keep_records)
    : keep_records_(keep_records) {
  tasks_.resize(task_names.size());
  for (size_t t = 0; t < task_names.size(); ++t) tasks_[t].m.name = task_names[t];
}

void MetricsCollector::Add(RequestRecord r) {
  PerTask& pt = tasks_.at(r.task);
  TaskMetrics& m = pt.m;
  ++m.requests;
  ++requests_;
  if (r.served) {
    ++m.served;
    m.correct += r.correct;
    m.late += r.late();
    m.below_floor += r.below_floor();
    pt.latency_ms.push_back(static_cast<float>((r.finish_us - r.arrival_us) / 1000.0));
  } else {
    ++m.rejected;
    ++m.rejected_by_reason[r.reason.empty() ? "unspecified" : r.reason];
  }
  if (r.violation()) {
    ++m.violations;
    ++violations_;
  }
  if (keep_records_) records_.push_back(std::move(r));
}

void MetricsCollector::Finish(double duration_s, RunMetrics* out) const {
  out->duration_s = duration_s;
  out->tasks.clear();
  out->overall = TaskMetrics{};
  out->overall.name = "all";
  std::vector<float> all;
  for (const PerTask& pt : tasks_) {
    TaskMetrics m = pt.m;
    std::vector<float> lat = pt.latency_ms;
    all.insert(all.end(), lat.begin(), lat.end());
    Derive(duration_s, lat, &m);
    Merge(m, &out->overall);
    out->tasks.push_back(std::move(m));
  }
  Derive(duration_s, all, &out->overall);
  out->optimizer = optimizer_us_.Summary();
  out->dispatcher = dispatcher_us_.Summary();
}

std::string RunMetrics::ToJson() const {
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("sparseloom-metrics/1");
  w.Key("simulated").Bool(simulated);
  w.Key("policy").String(policy);
  w.Key("workload").String(workload);
  w.Key("seed").Int(static_cast<long long>(seed));
  w.Key("duration_s").Double(duration_s);
  w.Key("overall");
  WriteTask(w, overall);
  w.Key("tasks").BeginArray();
  for (const TaskMetrics& t : tasks) WriteTask(w, t);
  w.EndArray();
  w.Key("memory").BeginObject();
  w.Key("budget_bytes").Int(memory_budget_bytes);
  w.Key("peak_resident_weight_bytes").Int(peak_resident_weight_bytes);
  w.Key("all_segment_bytes").Int(all_segment_bytes);
  w.Key("segment_loads").Int(segment_loads);
  w.Key("segment_evictions").Int(segment_evictions);
  w.EndObject();
  WriteTiming(w, "optimizer", optimizer);
  WriteTiming(w, "dispatcher", dispatcher);
  w.Key("replans").Int(replans);
  w.Key("steals").Int(steals);
  w.Key("replans_by_cause").BeginObject();
  for (const auto& [k, n] : replans_by_cause) w.Key(k).Int(n);
  w.EndObject();
  w.Key("peak_queue_ms").Double(peak_queue_us / 1000.0);
  w.Key("execution").BeginObject();
  w.Key("jobs").Int(jobs);
  w.Key("mean_overhead_us").Double(job_overhead_us);
  w.Key("mean_slowdown_vs_profile").Double(job_slowdown);
  w.Key("slowdown_log_sigma").Double(job_slowdown_sigma);
  // [slowdown, overhead_us, load_us, delay_us, start kind, start_ms, processor, task]
  w.Key("job_samples").BeginArray();
  for (const JobSample& s : job_samples)
    w.BeginArray()
        .Double(s.slowdown)
        .Double(s.overhead_us)
        .Double(s.load_us)
        .Double(s.delay_us)
        .Int(static_cast<int>(s.start))
        .Double(s.at_us / 1000.0)
        .Int(s.processor)
        .Int(s.task)
        .EndArray();
  w.EndArray();
  // [processor, start_ms, end_ms]
  w.Key("stalls").BeginArray();
  for (const Stall& s : stalls)
    w.BeginArray()
        .Int(s.processor)
        .Double(s.start_us / 1000.0)
        .Double(s.end_us / 1000.0)
        .EndArray();
  w.EndArray();
  // [start_ms, end_ms]
  for (const auto& [key, list] :
       {std::pair{"pauses", &pauses}, {"late_admissions", &late_admissions}}) {
    w.Key(key).BeginArray();
    for (const Pause& p : *list)
      w.BeginArray().Double(p.start_us / 1000.0).Double(p.end_us / 1000.0).EndArray();
    w.EndArray();
  }
  w.EndObject();
  if (!simulated) {
    w.Key("process_rss_mb").BeginObject();
    w.Key("start").Double(rss_start_mb);
    w.Key("peak").Double(rss_peak_mb);
    w.Key("end").Double(rss_end_mb);
    w.Key("every_10s").BeginArray();
    for (double x : rss_every_10s_mb) w.Double(x);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  return w.str();
}

std::string FormatSummary(const RunMetrics& m) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %8s %8s %8s %8s %7s %9s %9s %8s %8s\n", "task",
                "requests", "served", "rejected", "late", "viol%", "thru rps", "accuracy", "p50 ms",
                "p99 ms");
  out += line;
  auto row = [&](const TaskMetrics& t) {
    std::snprintf(
        line, sizeof line, "%-16s %8lld %8lld %8lld %8lld %6.1f%% %9.1f %8.1f%% %8.2f %8.2f\n",
        t.name.c_str(), static_cast<long long>(t.requests), static_cast<long long>(t.served),
        static_cast<long long>(t.rejected), static_cast<long long>(t.late), 100 * t.violation_rate,
        t.throughput_rps, 100 * t.delivered_accuracy, t.latency.p50_ms, t.latency.p99_ms);
    out += line;
  };
  for (const TaskMetrics& t : m.tasks) row(t);
  row(m.overall);
  return out;
}

void JobSampleReservoir::Add(JobSample s) {
  ++seen_;
  if (samples_.size() < capacity_) {
    samples_.push_back(s);
    return;
  }
  state_ += 0x9E3779B97F4A7C15ull;  // splitmix64
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const uint64_t slot = z % seen_;
  if (slot < capacity_) samples_[slot] = s;
}

}  // namespace sl
