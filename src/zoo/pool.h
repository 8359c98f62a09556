// Pools: the variants of one base model for a task, plus its validation data.
//
// A pool comes from a zoo directory (docs/zoo.md: manifest.json, one ONNX file per variant,
// val_x.npy / val_y.npy) or from in-memory graphs (tests, tools that build variants in code).
// Every variant must have the same graph inputs and outputs (names); a pool has exactly one graph
// input and one graph output.
//
// Thread safety: a Pool is immutable after loading and may be read from any thread.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "graph/graph.h"

namespace sl {

struct PoolVariant {
  std::string name;
  std::string file;               // ONNX file (empty for in-memory variants)
  std::string pattern = "dense";  // "dense" | "unstructured" | "block4x1" | "nm2:4" | "int8" | ...
  std::string precision = "fp32";
  double target_sparsity = 0;
  double measured_sparsity = 0;
  double val_accuracy = -1;  // from the manifest (ONNX Runtime), -1 when unknown
  double test_accuracy = -1;
  Graph graph;
};

struct Pool {
  std::string task;
  std::string dir;  // empty for in-memory pools
  std::vector<PoolVariant> variants;
  std::vector<std::string> manifest_cuts;  // the manifest's "cuts" (informational)
  std::string input_name, output_name;
  Shape sample_shape;  // input shape without the batch dim
  Tensor val_x;        // float32 [N, sample_shape...]; undefined if none
  Tensor val_y;        // int64 [N]
  int64_t val_count() const { return val_x.defined() ? val_x.shape()[0] : 0; }
  int num_variants() const { return static_cast<int>(variants.size()); }
  // Index of the variant named `name`, or -1.
  int FindVariant(const std::string& name) const;
};

// Loads `dir`/manifest.json, every variant's ONNX file and the validation data. Errors name the
// file and the field or variant concerned.
[[nodiscard]] Result<Pool> LoadPool(const std::string& dir);

// Builds a pool from graphs made in memory. `val_x` / `val_y` may be undefined (no accuracy).
// Checks the same things as LoadPool (one input, one output, same names in every variant, data
// shapes).
[[nodiscard]] Result<Pool> MakePool(std::string task, std::vector<PoolVariant> variants,
                                    Tensor val_x = {}, Tensor val_y = {});

}  // namespace sl
