// The segment store: the prepared plans (weights) of the segments that are resident, loaded on
// demand from the pool's ONNX files and freed on eviction. The controller decides what is resident
// within the budget; the store does the loading and reports the bytes really held.
//
// Thread safety: all methods may be called concurrently. A segment requested by several workers at
// once is loaded once; the others wait for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "zoo/pool.h"

namespace sl {

// What the runtime knows about one task: its pool (variant graphs dropped when they can be
// reloaded from their files), cuts, and validation data.
struct ServedTask {
  std::string name;
  Pool pool;
  std::vector<std::string> cuts;  // K - 1 boundary tensors (from the profile)
  Shape row_shape;                // [1, sample...]
  int num_segments() const { return static_cast<int>(cuts.size()) + 1; }
};

// Loads a pool for serving: keeps its validation data and variant metadata, drops the graphs of
// file-backed variants (the store reloads segments from the files).
[[nodiscard]] Result<ServedTask> MakeServedTask(const std::string& name, Pool pool,
                                                const std::vector<std::string>& cuts);
[[nodiscard]] Result<ServedTask> LoadServedTask(const std::string& name,
                                                const std::string& pool_dir,
                                                const std::vector<std::string>& cuts);

class SegmentStore {
 public:
  explicit SegmentStore(const std::vector<ServedTask>* tasks) : tasks_(tasks) {}

  // A compile target: a backend (OpenBackend() name) and a thread count. Returns its id, the same
  // for the same pair; fails naming the backend when it cannot be opened. Call before serving.
  [[nodiscard]] Result<int> AddTarget(const std::string& backend, int threads);
  // The plan of segment `segment` (= v * K + i) of task `task` prepared for target `target`,
  // loading it when absent; `load_us` gets the time spent loading (0 when it was resident).
  [[nodiscard]] Result<std::shared_ptr<const DevicePlan>> Get(int task, int segment, int target,
                                                              double* load_us);
  // True when `plan` is the resident plan of that segment (workers drop stale runners).
  bool IsCurrent(int task, int segment, int target, const DevicePlan* plan) const;
  // Frees the segment's plans (all targets).
  void Evict(int task, int segment);
  int64_t bytes() const;
  int64_t peak_bytes() const;
  int64_t loads() const;

 private:
  struct Key {
    int task, segment, target;
    bool operator<(const Key& o) const {
      return std::tie(task, segment, target) < std::tie(o.task, o.segment, o.target);
    }
  };
  struct Entry {
    std::shared_ptr<const DevicePlan> plan;
    bool loading = false;
  };
  struct Target {
    std::string backend_name;
    int threads;
    std::shared_ptr<Backend> backend;
  };
  Result<std::shared_ptr<const DevicePlan>> Load(int task, int segment, int target) const;

  const std::vector<ServedTask>* tasks_;
  mutable std::mutex mu_;
  std::condition_variable loaded_;
  std::map<Key, Entry> entries_;
  std::vector<Target> targets_;
  int64_t bytes_ = 0, peak_bytes_ = 0, loads_ = 0;
};

}  // namespace sl
