#include "runtime/segment_store.h"

#include <chrono>
#include <filesystem>
#include <tuple>

#include "onnx/loader.h"

namespace sl {

Result<ServedTask> LoadServedTask(const std::string& name, const std::string& pool_dir,
                                  const std::vector<std::string>& cuts) {
  SL_ASSIGN_OR_RETURN(Pool pool, LoadPool(pool_dir));
  return MakeServedTask(name, std::move(pool), cuts);
}

Result<ServedTask> MakeServedTask(const std::string& name, Pool pool,
                                  const std::vector<std::string>& cuts) {
  ServedTask t;
  t.name = name;
  t.pool = std::move(pool);
  if (t.pool.val_count() < 1)
    return InvalidArgument(t.pool.task +
                           ": the pool has no validation data (val_x.npy, val_y.npy)");
  t.cuts = cuts;
  for (PoolVariant& v : t.pool.variants)
    if (!v.file.empty()) v.graph = Graph{};
  t.row_shape = {1};
  t.row_shape.insert(t.row_shape.end(), t.pool.sample_shape.begin(), t.pool.sample_shape.end());
  return t;
}

Result<int> SegmentStore::AddTarget(const std::string& backend, int threads) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < targets_.size(); ++i)
    if (targets_[i].backend_name == backend && targets_[i].threads == threads)
      return static_cast<int>(i);
  SL_ASSIGN_OR_RETURN(std::shared_ptr<Backend> b, OpenBackend(backend));
  targets_.push_back({backend, threads, std::move(b)});
  return static_cast<int>(targets_.size()) - 1;
}

Result<std::shared_ptr<const DevicePlan>> SegmentStore::Load(int task, int segment,
                                                             int target) const {
  const ServedTask& t = (*tasks_)[task];
  const int K = t.num_segments();
  const int v = segment / K, i = segment % K;
  const PoolVariant& variant = t.pool.variants.at(v);
  Graph file_graph;
  const Graph* graph = &variant.graph;
  if (!variant.file.empty()) {
    const std::string path = (std::filesystem::path(t.pool.dir) / variant.file).string();
    SL_ASSIGN_OR_RETURN(file_graph, LoadOnnxModel(path));
    graph = &file_graph;
  }
  PrepareOptions opts;
  opts.input_shapes[t.pool.input_name] = t.row_shape;
  opts.inputs = {i == 0 ? t.pool.input_name : t.cuts[i - 1]};
  opts.outputs = {i + 1 == K ? t.pool.output_name : t.cuts[i]};
  const Target& to = targets_.at(target);  // fixed before serving starts
  opts.num_threads = to.threads;
  auto plan = to.backend->Prepare(*graph, opts);
  if (!plan.ok())
    return plan.status().WithContext(t.name + ": Segment(" + variant.name + ", " +
                                     std::to_string(i) + ") on " + to.backend_name);
  return std::move(plan).value();
}

Result<std::shared_ptr<const DevicePlan>> SegmentStore::Get(int task, int segment, int target,
                                                            double* load_us) {
  *load_us = 0;
  const Key key{task, segment, target};
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    Entry& e = entries_[key];
    if (e.plan) return e.plan;
    if (!e.loading) break;
    loaded_.wait(lock);
  }
  entries_[key].loading = true;
  lock.unlock();
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = Load(task, segment, target);
  *load_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  lock.lock();
  Entry& e = entries_[key];
  e.loading = false;
  if (plan.ok()) {
    e.plan = *plan;
    bytes_ += static_cast<int64_t>((*plan)->constant_bytes());
    peak_bytes_ = std::max(peak_bytes_, bytes_);
    ++loads_;
  }
  loaded_.notify_all();
  return plan;
}

bool SegmentStore::IsCurrent(int task, int segment, int target, const DevicePlan* plan) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find({task, segment, target});
  return it != entries_.end() && it->second.plan.get() == plan;
}

void SegmentStore::Evict(int task, int segment) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.lower_bound({task, segment, 0});
       it != entries_.end() && it->first.task == task && it->first.segment == segment; ++it) {
    if (!it->second.plan) continue;
    bytes_ -= static_cast<int64_t>(it->second.plan->constant_bytes());
    it->second.plan.reset();
  }
}

int64_t SegmentStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}
int64_t SegmentStore::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_bytes_;
}
int64_t SegmentStore::loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loads_;
}

}  // namespace sl
