// The intermediate representation: values (tensors) and nodes in an ONNX-like graph.
//
// Values are addressed by index into Graph::values. A value is a constant when its `constant`
// tensor is defined (initializers, Constant outputs, folded results). Dims of -1 are unknown until
// input shapes are bound at prepare time.
//
// Fusion passes annotate Conv / Gemm / MatMul nodes with internal attributes that every kernel,
// the reference ones included, must honour:
//   "_act"      string  "" | "Relu" | "Clip"   activation applied to the output
//   "_act_min", "_act_max" float               Clip bounds (when _act == "Clip")
// and a fused MatMul may carry a third input: a bias broadcast along the last output dim.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace sl {

enum class OpType : int32_t {
#define SL_OP(name) k##name,
#include "graph/ops.def"
#undef SL_OP
  kCount
};

std::string_view OpTypeName(OpType op);
// Looks up an ONNX op name in the default domain; nullopt if unsupported.
std::optional<OpType> OpTypeFromName(std::string_view name);

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

class Attributes {
 public:
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  void Set(const std::string& name, AttrValue v) { values_[name] = std::move(v); }
  void Erase(const std::string& name) { values_.erase(name); }
  int64_t GetInt(const std::string& name, int64_t fallback) const;
  float GetFloat(const std::string& name, float fallback) const;
  std::string GetString(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> fallback = {}) const;
  const Tensor* GetTensor(const std::string& name) const;
  const std::map<std::string, AttrValue>& all() const { return values_; }

 private:
  std::map<std::string, AttrValue> values_;
};

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;  // -1 marks an unknown dim; empty with known_rank == false: unknown rank
  bool known_rank = false;
  Tensor constant;  // defined for constants
  bool is_constant() const { return constant.defined(); }
};

inline constexpr int kNoValue = -1;  // an omitted optional input

struct Node {
  OpType op = OpType::kCount;
  std::string name;
  std::vector<int> inputs;   // value indices; kNoValue for omitted optional inputs
  std::vector<int> outputs;  // value indices
  Attributes attrs;
};

class Graph {
 public:
  std::string source;  // file the graph came from, for error messages
  int64_t opset = 0;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically sorted once Sort() succeeded
  std::vector<int> inputs;  // graph inputs (non-constant)
  std::vector<int> outputs;

  // Returns the index of the value named `name`, creating it if absent.
  int GetOrAddValue(const std::string& name);
  // Index of the value named `name`, or kNoValue.
  int FindValue(const std::string& name) const;
  // Sorts nodes topologically; fails naming a node on a cycle or an input nobody produces.
  Status Sort();
  // Removes nodes whose outputs are not needed for `outputs`, and unused values are kept (indices
  // stay stable).
  void RemoveDeadNodes();
  // "node 'name' (Op)" for error messages.
  std::string Describe(const Node& n) const;
  // Rebuilds the name index after values were edited directly.
  void ReindexNames();

 private:
  std::unordered_map<std::string, int> index_;
};

}  // namespace sl
