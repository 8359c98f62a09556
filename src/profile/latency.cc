#include "profile/latency.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace sl {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `a` reaches `want`: spins briefly, then blocks on the futex.
void WaitFor(std::atomic<int64_t>& a, int64_t want) {
  for (int i = 0; i < 2000; ++i) {
    if (a.load(std::memory_order_acquire) >= want) return;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  for (int64_t cur; (cur = a.load(std::memory_order_acquire)) < want;) a.wait(cur);
}

void Signal(std::atomic<int64_t>& a, int64_t value) {
  a.store(value, std::memory_order_release);
  a.notify_all();
}

}  // namespace

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct PinnedChain::Impl {
  std::vector<Stage> stages;
  std::vector<std::thread> threads;
  // go[j]: round number stage j may run; go[size] is the end of the chain.
  std::vector<std::atomic<int64_t>> go;
  std::atomic<bool> stop{false};
  Clock::time_point start, end;
  Status error;
  int64_t round = 0;
  explicit Impl(std::vector<Stage> s) : stages(std::move(s)), go(stages.size() + 1) {
    for (auto& g : go) g.store(0);
  }
};

PinnedChain::PinnedChain(std::vector<Stage> stages)
    : impl_(std::make_unique<Impl>(std::move(stages))) {
  Impl* im = impl_.get();
  const size_t n = im->stages.size();
  for (size_t j = 0; j < n; ++j) {
    im->threads.emplace_back([im, j, n] {
      Status pin = PinCurrentThread(im->stages[j].cores);
      for (int64_t r = 1;; ++r) {
        WaitFor(im->go[j], r);
        if (im->stop.load()) return;
        if (j == 0) im->start = Clock::now();
        Status st = pin.ok() ? im->stages[j].fn() : pin;
        if (j + 1 == n) im->end = Clock::now();
        if (!st.ok() && im->error.ok()) im->error = st;
        Signal(im->go[j + 1], r);
      }
    });
  }
}

PinnedChain::~PinnedChain() {
  Impl* im = impl_.get();
  im->stop.store(true);
  for (auto& g : im->go) Signal(g, std::numeric_limits<int64_t>::max() / 2);
  for (auto& t : im->threads) t.join();
}

Result<double> PinnedChain::RunOnce() {
  Impl* im = impl_.get();
  if (im->stages.empty()) return 0.0;
  const int64_t r = ++im->round;
  Signal(im->go[0], r);
  WaitFor(im->go[im->stages.size()], r);
  if (!im->error.ok()) return im->error;
  return std::chrono::duration<double, std::micro>(im->end - im->start).count();
}

namespace {

// What one processor needs to run every segment of a pool: its runner (created on the pinned
// thread), an input and an output buffer per segment, and the timed runs so far.
struct SegmentBench {
  std::unique_ptr<StitchRunner> runner;
  std::vector<Tensor> ins, outs;
  std::vector<std::vector<double>> times;
  std::vector<int64_t> order;
  std::mt19937 rng{17};
};

void InitBench(const SegmentSet& set, int num_segments, int64_t count, SegmentBench& b) {
  b.runner = std::make_unique<StitchRunner>(set);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (int64_t s = 0; s < count; ++s) {
    const DevicePlan& plan =
        *set.segment(static_cast<int>(s / num_segments), static_cast<int>(s % num_segments)).device;
    b.ins.emplace_back(plan.inputs()[0].dtype, plan.inputs()[0].shape);
    b.outs.emplace_back(plan.outputs()[0].dtype, plan.outputs()[0].shape);
    if (b.ins.back().dtype() == DType::kF32)
      for (int64_t e = 0; e < b.ins.back().numel(); ++e)
        b.ins.back().data<float>()[e] = dist(b.rng);
  }
  b.times.assign(count, {});
  b.order.resize(count);
  for (int64_t s = 0; s < count; ++s) b.order[s] = s;
}

Status RunBenchSegment(SegmentBench& b, int num_segments, int64_t s, bool timed) {
  const auto t0 = Clock::now();
  SL_RETURN_IF_ERROR(b.runner->RunSegment(static_cast<int>(s / num_segments),
                                          static_cast<int>(s % num_segments), b.ins[s].view(),
                                          b.outs[s].view()));
  if (timed)
    b.times[s].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  return Status::Ok();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

double TrimmedMean(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t cut = v.size() / 10;
  double sum = 0;
  for (size_t i = cut; i < v.size() - cut; ++i) sum += v[i];
  return sum / static_cast<double>(v.size() - 2 * cut);
}

Result<std::vector<std::vector<double>>> MeasureSegmentLatency(
    const SegmentSetLookup& sets, int num_variants, int num_segments,
    const std::vector<ProcessorSpec>& processors, const LatencyOptions& options,
    const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t count = static_cast<int64_t>(num_variants) * num_segments;
  const int64_t np = static_cast<int64_t>(processors.size());
  std::vector<std::vector<double>> out(count, std::vector<double>(processors.size(), 0));
  const int64_t total = count * np;
  const int repeats = std::max(1, options.repeats);
  std::vector<SegmentBench> benches(processors.size());
  auto on = [&](size_t p, const std::function<Status(SegmentBench&)>& fn) -> Status {
    Status st = RunPinned(processors[p].cores, [&]() -> Status {
      if (!benches[p].runner) InitBench(sets(processors[p]), num_segments, count, benches[p]);
      return fn(benches[p]);
    });
    return st.ok() ? st : st.WithContext("latency on " + processors[p].name);
  };
  if (!options.interleave) {
    for (size_t p = 0; p < processors.size(); ++p) {
      SL_RETURN_IF_ERROR(on(p, [&](SegmentBench& b) -> Status {
        for (int64_t s = 0; s < count; ++s) {
          for (int w = 0; w < options.warmup; ++w)
            SL_RETURN_IF_ERROR(RunBenchSegment(b, num_segments, s, false));
          for (int r = 0; r < repeats; ++r)
            SL_RETURN_IF_ERROR(RunBenchSegment(b, num_segments, s, true));
          if (progress) progress(static_cast<int64_t>(p) * count + s + 1, total);
        }
        return Status::Ok();
      }));
      for (int64_t s = 0; s < count; ++s) out[s][p] = Median(benches[p].times[s]);
    }
    return out;
  }
  // Rounds over every segment in a fresh random order, each timed run following other segments
  // as a served one does; the processors take turns round by round, and the rounds go on until
  // they span options.min_seconds, so that every processor is sampled over the same stretch of
  // time (a machine whose speed drifts by the second is not judged on one lucky moment).
  const auto t0 = Clock::now();
  for (int r = -options.warmup;; ++r) {
    // Progress and the end of the rounds both from this one reading of the clock, so the last
    // report is the whole.
    const int done_rounds = std::max(0, r);
    const double elapsed = Seconds(t0);
    if (r > 0 && progress) {
      const double by_rounds = static_cast<double>(done_rounds) / repeats;
      const double by_time = options.min_seconds > 0 ? elapsed / options.min_seconds : 1;
      progress(static_cast<int64_t>(total * std::min(1.0, std::min(by_rounds, by_time))), total);
    }
    if (done_rounds >= repeats && elapsed >= options.min_seconds) break;
    for (int64_t k = 0; k < np; ++k) {
      const size_t p = static_cast<size_t>((k + std::max(r, 0)) % np);
      SL_RETURN_IF_ERROR(on(p, [&](SegmentBench& b) -> Status {
        std::shuffle(b.order.begin(), b.order.end(), b.rng);
        for (int64_t s : b.order) SL_RETURN_IF_ERROR(RunBenchSegment(b, num_segments, s, r >= 0));
        return Status::Ok();
      }));
    }
  }
  for (int64_t s = 0; s < count; ++s)
    for (size_t p = 0; p < processors.size(); ++p) out[s][p] = TrimmedMean(benches[p].times[s]);
  return out;
}

Result<std::vector<std::vector<double>>> MeasureHandoff(
    size_t bytes, const std::vector<ProcessorSpec>& processors, const LatencyOptions& options) {
  const size_t np = processors.size();
  std::vector<std::vector<double>> out(np, std::vector<double>(np, 0));
  std::vector<char> src(std::max<size_t>(bytes, 1), 1), shared(src.size()), dst(src.size());
  auto copy_out = [&]() -> Status {
    std::memcpy(shared.data(), src.data(), bytes);
    return Status::Ok();
  };
  auto copy_in = [&]() -> Status {
    std::memcpy(dst.data(), shared.data(), bytes);
    return Status::Ok();
  };
  auto both = [&]() -> Status {
    SL_RETURN_IF_ERROR(copy_out());
    return copy_in();
  };
  auto median_of = [&](PinnedChain& chain) -> Result<double> {
    std::vector<double> t;
    for (int w = 0; w < options.warmup; ++w) SL_RETURN_IF_ERROR(chain.RunOnce().status());
    // Copies of a cut are cheap: three times the repeats, to damp scheduling noise.
    for (int r = 0; r < std::max(9, 3 * options.repeats); ++r) {
      SL_ASSIGN_OR_RETURN(double us, chain.RunOnce());
      t.push_back(us);
    }
    return Median(t);
  };
  for (size_t a = 0; a < np; ++a) {
    PinnedChain single({{processors[a].cores, both}});
    SL_ASSIGN_OR_RETURN(double base, median_of(single));
    for (size_t b = 0; b < np; ++b) {
      if (a == b) continue;
      PinnedChain two({{processors[a].cores, copy_out}, {processors[b].cores, copy_in}});
      SL_ASSIGN_OR_RETURN(double t, median_of(two));
      out[a][b] = std::max(0.0, t - base);
    }
  }
  return out;
}

Result<double> MeasureStitchLatency(const SegmentSetLookup& sets, const Stitch& stitch,
                                    const std::vector<int>& placement,
                                    const std::vector<ProcessorSpec>& processors,
                                    const Tensor& input, const LatencyOptions& options) {
  const int k = static_cast<int>(stitch.size());
  if (static_cast<int>(placement.size()) != k)
    return InvalidArgument("a placement needs one processor per segment");
  for (int p : placement)
    if (p < 0 || p >= static_cast<int>(processors.size()))
      return OutOfRange("placement names processor " + std::to_string(p) + " of " +
                        std::to_string(processors.size()));
  // Stages: runs of consecutive segments on one processor. Each stage has its own runner; the
  // boundary tensors between stages are the runners' buffers (the hand-off is the next stage
  // reading them).
  struct StageState {
    int processor, first, last;
    std::unique_ptr<StitchRunner> runner;
  };
  std::vector<StageState> states;
  for (int i = 0; i < k; ++i) {
    if (states.empty() || states.back().processor != placement[i])
      states.push_back({placement[i], i, i, nullptr});
    else
      states.back().last = i;
  }
  for (auto& s : states) s.runner = std::make_unique<StitchRunner>(sets(processors[s.processor]));
  std::vector<PinnedChain::Stage> stages;
  for (size_t j = 0; j < states.size(); ++j) {
    StageState* s = &states[j];
    StageState* prev = j ? &states[j - 1] : nullptr;
    stages.push_back({processors[s->processor].cores, [s, prev, &input, &stitch]() -> Status {
                        TensorView in =
                            prev ? prev->runner->boundary(prev->last).view() : input.view();
                        for (int i = s->first; i <= s->last; ++i) {
                          TensorView out = s->runner->boundary(i).view();
                          SL_RETURN_IF_ERROR(s->runner->RunSegment(stitch[i], i, in, out));
                          in = out;
                        }
                        return Status::Ok();
                      }});
  }
  PinnedChain chain(std::move(stages));
  std::vector<double> t;
  for (int w = 0; w < options.warmup; ++w) SL_RETURN_IF_ERROR(chain.RunOnce().status());
  for (int r = 0; r < std::max(1, options.repeats); ++r) {
    SL_ASSIGN_OR_RETURN(double us, chain.RunOnce());
    t.push_back(us);
  }
  return Median(t);
}

}  // namespace sl
