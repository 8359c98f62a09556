#include "zoo/pool.h"

#include <filesystem>

#include "core/json.h"
#include "core/npy.h"
#include "onnx/loader.h"

namespace sl {

int Pool::FindVariant(const std::string& name) const {
  for (size_t i = 0; i < variants.size(); ++i)
    if (variants[i].name == name) return static_cast<int>(i);
  return -1;
}

namespace {

double NumberOr(const Json& j, const std::string& key, double fallback) {
  const Json* v = j.Find(key);
  return v && v->is_number() ? v->number() : fallback;
}

std::string StringOr(const Json& j, const std::string& key, const std::string& fallback) {
  const Json* v = j.Find(key);
  return v && v->is_string() ? v->string() : fallback;
}

// 1. One graph input and one graph output per variant, the same names in all variants.
// 2. The sample shape comes from the first variant's input (batch dim dropped), or from val_x.
// 3. val_x / val_y: float32 [N, sample...] and int64 [N] with equal N.
Status Validate(Pool& pool) {
  const std::string where = pool.dir.empty() ? "pool '" + pool.task + "'" : pool.dir;
  if (pool.variants.empty()) return InvalidArgument(where + ": the pool has no variants");
  for (const PoolVariant& v : pool.variants) {
    const Graph& g = v.graph;
    if (g.inputs.size() != 1 || g.outputs.size() != 1) {
      return Unsupported(where + ": variant '" + v.name + "' has " +
                         std::to_string(g.inputs.size()) + " inputs and " +
                         std::to_string(g.outputs.size()) +
                         " outputs; pools need exactly one of each");
    }
    const std::string in = g.values[g.inputs[0]].name, out = g.values[g.outputs[0]].name;
    if (pool.input_name.empty()) {
      pool.input_name = in;
      pool.output_name = out;
      const Shape& s = g.values[g.inputs[0]].shape;
      if (s.size() >= 1) pool.sample_shape.assign(s.begin() + 1, s.end());
    } else if (in != pool.input_name || out != pool.output_name) {
      return InvalidArgument(where + ": variant '" + v.name + "' has input '" + in +
                             "' and output '" + out + "', the first variant has '" +
                             pool.input_name + "' and '" + pool.output_name + "'");
    }
    if (pool.FindVariant(v.name) != &v - pool.variants.data())
      return InvalidArgument(where + ": variant name '" + v.name + "' appears twice");
  }
  if (pool.val_x.defined() != pool.val_y.defined())
    return InvalidArgument(where + ": validation data needs both val_x and val_y");
  if (pool.val_x.defined()) {
    const Tensor& x = pool.val_x;
    const Tensor& y = pool.val_y;
    if (x.dtype() != DType::kF32 || x.rank() < 1)
      return InvalidArgument(where + ": val_x must be float32 [N, ...], got " +
                             std::string(DTypeName(x.dtype())) + ShapeToString(x.shape()));
    if (y.dtype() != DType::kI64 || y.rank() != 1 || y.shape()[0] != x.shape()[0])
      return InvalidArgument(where + ": val_y must be int64 [" + std::to_string(x.shape()[0]) +
                             "], got " + std::string(DTypeName(y.dtype())) +
                             ShapeToString(y.shape()));
    Shape sample(x.shape().begin() + 1, x.shape().end());
    bool fits = sample.size() == pool.sample_shape.size();
    for (size_t i = 0; fits && i < sample.size(); ++i)
      fits = pool.sample_shape[i] < 0 || pool.sample_shape[i] == sample[i];
    if (!fits)
      return InvalidArgument(where + ": val_x samples are " + ShapeToString(sample) +
                             " but the model input '" + pool.input_name + "' is [N]+" +
                             ShapeToString(pool.sample_shape));
    pool.sample_shape = sample;
  }
  for (int64_t d : pool.sample_shape)
    if (d < 0)
      return InvalidArgument(where + ": input '" + pool.input_name +
                             "' has an unknown non-batch dim " + ShapeToString(pool.sample_shape));
  return Status::Ok();
}

}  // namespace

Result<Pool> MakePool(std::string task, std::vector<PoolVariant> variants, Tensor val_x,
                      Tensor val_y) {
  Pool pool;
  pool.task = std::move(task);
  pool.variants = std::move(variants);
  pool.val_x = std::move(val_x);
  pool.val_y = std::move(val_y);
  SL_RETURN_IF_ERROR(Validate(pool));
  return pool;
}

Result<Pool> LoadPool(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string manifest_path = (fs::path(dir) / "manifest.json").string();
  if (!fs::exists(manifest_path))
    return NotFound(dir + ": no manifest.json (is this a pool directory? see docs/zoo.md)");
  SL_ASSIGN_OR_RETURN(Json m, Json::ParseFile(manifest_path));
  if (!m.is_object()) return InvalidArgument(manifest_path + ": not a JSON object");
  Pool pool;
  pool.dir = dir;
  pool.task = StringOr(m, "task", fs::path(dir).filename().string());
  if (const Json* cuts = m.Find("cuts"); cuts && cuts->is_array())
    for (const Json& c : cuts->array())
      if (c.is_string()) pool.manifest_cuts.push_back(c.string());
  SL_ASSIGN_OR_RETURN(const Json* variants, m.GetArray("variants", manifest_path));
  for (size_t i = 0; i < variants->array().size(); ++i) {
    const Json& jv = variants->array()[i];
    const std::string where = manifest_path + ": variants[" + std::to_string(i) + "]";
    if (!jv.is_object()) return InvalidArgument(where + " is not an object");
    PoolVariant v;
    SL_ASSIGN_OR_RETURN(v.name, jv.GetString("name", where));
    SL_ASSIGN_OR_RETURN(v.file, jv.GetString("file", where));
    v.pattern = StringOr(jv, "pattern", "dense");
    v.precision = StringOr(jv, "precision", "fp32");
    v.target_sparsity = NumberOr(jv, "target_sparsity", 0);
    v.measured_sparsity = NumberOr(jv, "measured_sparsity", 0);
    v.val_accuracy = NumberOr(jv, "val_accuracy", -1);
    v.test_accuracy = NumberOr(jv, "test_accuracy", -1);
    if (v.file.find("..") != std::string::npos || fs::path(v.file).is_absolute())
      return InvalidArgument(where + ": file '" + v.file + "' must lie inside the pool folder");
    SL_ASSIGN_OR_RETURN(v.graph, LoadOnnxModel((fs::path(dir) / v.file).string()));
    pool.variants.push_back(std::move(v));
  }
  std::string x_file = "val_x.npy", y_file = "val_y.npy";
  if (const Json* val = m.Find("val"); val && val->is_object()) {
    x_file = StringOr(*val, "x", x_file);
    y_file = StringOr(*val, "y", y_file);
  }
  const std::string xp = (fs::path(dir) / x_file).string(), yp = (fs::path(dir) / y_file).string();
  if (fs::exists(xp) || fs::exists(yp)) {
    SL_ASSIGN_OR_RETURN(pool.val_x, ReadNpy(xp));
    SL_ASSIGN_OR_RETURN(pool.val_y, ReadNpy(yp));
  }
  SL_RETURN_IF_ERROR(Validate(pool));
  return pool;
}

}  // namespace sl
