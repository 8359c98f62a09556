// Lifetime-based static memory planning for the activations of a plan.
#pragma once

#include <cstddef>
#include <vector>

namespace sl {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // step that writes the buffer
  int last_step = 0;   // last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, 64-byte aligned
  size_t arena_bytes = 0;
};

// Greedy by size:
// 1. order requests by size, largest first (ties: earlier first_step first);
// 2. for each, collect the already placed requests whose step ranges overlap it;
// 3. place it at the lowest 64-byte aligned offset that fits in a gap between those;
// 4. the arena is the highest end offset.
// Two requests share bytes only if their lifetimes are disjoint.
MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests);

}  // namespace sl
