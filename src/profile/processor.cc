#include "profile/processor.h"

#include <sched.h>

#include "backend/backend.h"
#include "profile/profile.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace sl {

std::vector<int> UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) cores.push_back(static_cast<int>(i));
    return cores;
  }
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) cores.push_back(i);
  return cores;
}

namespace {

// "ocl0" / "cuda1": a device processor of that backend; nullopt when `name` is not one.
std::optional<Result<ProcessorSpec>> ParseDeviceProcessor(const std::string& name) {
  for (const auto& [prefix, backend] : {std::pair<const char*, const char*>{"ocl", "opencl"},
                                        {"cuda", "cuda"}}) {
    const std::string pre = prefix;
    if (name.rfind(pre, 0) != 0) continue;
    const std::string num = name.substr(pre.size());
    if (num.empty() || num.size() > 2 || num.find_first_not_of("0123456789") != std::string::npos)
      return Result<ProcessorSpec>(InvalidArgument(
          "processor '" + name + "': expected " + pre + " followed by a device number"));
    ProcessorSpec p;
    p.name = name;
    p.threads = 1;
    p.backend = std::string(backend) + ":" + std::to_string(std::stoi(num));
    return Result<ProcessorSpec>(std::move(p));
  }
  return std::nullopt;
}

}  // namespace

Result<ProcessorSpec> ParseProcessor(const std::string& name) {
  if (auto device = ParseDeviceProcessor(name)) return std::move(*device);
  ProcessorSpec p;
  p.name = name;
  auto bad = [&](const std::string& why) {
    return InvalidArgument("processor '" + name + "': " + why +
                           " (expected e.g. cpu0, cpu1, cpu01, cpu[0,12], ocl0 or cuda0)");
  };
  if (name.rfind("cpu", 0) != 0 || name.size() == 3) return bad("not a CPU processor name");
  std::string rest = name.substr(3);
  if (rest.front() == '[') {
    if (rest.back() != ']') return bad("missing ']'");
    std::string num;
    for (size_t i = 1; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == ',' || c == ']') {
        if (num.empty() || num.size() > 4) return bad("empty or too long core id");
        p.cores.push_back(std::stoi(num));
        num.clear();
      } else if (c >= '0' && c <= '9') {
        num += c;
      } else {
        return bad(std::string("unexpected '") + c + "'");
      }
    }
  } else {
    for (char c : rest) {
      if (c < '0' || c > '9') return bad(std::string("unexpected '") + c + "'");
      p.cores.push_back(c - '0');
    }
  }
  std::vector<int> sorted = p.cores;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return bad("repeated core");
  std::vector<int> usable = UsableCores();
  for (int c : p.cores)
    if (std::find(usable.begin(), usable.end(), c) == usable.end())
      return bad("core " + std::to_string(c) + " is not available to this process (" +
                 std::to_string(usable.size()) + " usable cores)");
  p.threads = static_cast<int>(p.cores.size());
  return p;
}

Result<std::vector<ProcessorSpec>> ParseProcessors(const std::string& list) {
  std::vector<ProcessorSpec> out;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size() && list[i] == '[') ++depth;
    if (i < list.size() && list[i] == ']') --depth;
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      std::string item = list.substr(start, i - start);
      start = i + 1;
      if (item.empty()) continue;
      SL_ASSIGN_OR_RETURN(ProcessorSpec p, ParseProcessor(item));
      for (const ProcessorSpec& q : out)
        if (q.name == p.name) return InvalidArgument("processor '" + p.name + "' named twice");
      out.push_back(std::move(p));
    }
  }
  if (out.empty()) return InvalidArgument("no processors given");
  return out;
}

std::vector<ProcessorSpec> DefaultProcessors() {
  std::vector<int> cores = UsableCores();
  auto name_of = [](const std::vector<int>& cs) {
    bool single = true;
    for (int c : cs) single = single && c < 10;
    std::string n = "cpu";
    if (single) {
      for (int c : cs) n += std::to_string(c);
    } else {
      n += "[";
      for (size_t i = 0; i < cs.size(); ++i) n += (i ? "," : "") + std::to_string(cs[i]);
      n += "]";
    }
    return n;
  };
  std::vector<ProcessorSpec> out;
  auto cpu = [&](const std::vector<int>& cs) {
    ProcessorSpec p;
    p.name = name_of(cs);
    p.cores = cs;
    p.threads = static_cast<int>(cs.size());
    return p;
  };
  for (int c : cores) out.push_back(cpu({c}));
  if (cores.size() > 1) out.push_back(cpu(cores));
  return out;
}

Status ResolveDevices(std::vector<ProcessorSpec>& processors) {
  for (ProcessorSpec& p : processors) {
    auto backend = OpenBackend(p.backend);
    if (!backend.ok()) return backend.status().WithContext("processor '" + p.name + "'");
    p.device = p.is_cpu() ? ThisMachine().cpu : (*backend)->device().name;
    if (p.is_cpu()) p.device += " (" + std::to_string(p.threads) + " thread" +
                                (p.threads == 1 ? "" : "s") + ")";
  }
  return Status::Ok();
}

Status PinCurrentThread(const std::vector<int>& cores) {
  if (cores.empty()) return Status::Ok();
  cpu_set_t set;
  CPU_ZERO(&set);
  std::string list;
  for (int c : cores) {
    if (c < 0 || c >= CPU_SETSIZE)
      return InvalidArgument("core " + std::to_string(c) + " out of range");
    CPU_SET(c, &set);
    list += (list.empty() ? "" : ",") + std::to_string(c);
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return Internal("cannot pin a thread to cores {" + list + "}");
  return Status::Ok();
}

Status RunPinned(const std::vector<int>& cores, const std::function<Status()>& fn) {
  Status result;
  std::thread t([&] {
    Status pin = PinCurrentThread(cores);
    result = pin.ok() ? fn() : pin;
  });
  t.join();
  return result;
}

}  // namespace sl
