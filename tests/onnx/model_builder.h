// Test helpers: small ONNX models built with the protobuf API, and a self-deleting temp folder.
#pragma once

#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sl::testing {

inline onnx::ModelProto MakeModel(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("sparseloom-test");
  auto* id = m.add_opset_import();
  id->set_domain("");
  id->set_version(opset);
  m.mutable_graph()->set_name("test");
  return m;
}

// dims: -1 becomes a dim_param "N", -2 a dim with neither value nor param.
inline void SetTensorType(onnx::ValueInfoProto* v, int32_t elem_type,
                          const std::vector<int64_t>& dims) {
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d == -1)
      dim->set_dim_param("N");
    else if (d >= 0)
      dim->set_dim_value(d);
  }
}

inline void AddInput(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                     int32_t elem_type = onnx::TensorProto::FLOAT) {
  auto* v = g->add_input();
  v->set_name(name);
  SetTensorType(v, elem_type, dims);
}

inline void AddOutput(onnx::GraphProto* g, const std::string& name,
                      const std::vector<int64_t>& dims,
                      int32_t elem_type = onnx::TensorProto::FLOAT) {
  auto* v = g->add_output();
  v->set_name(name);
  SetTensorType(v, elem_type, dims);
}

inline onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op,
                                const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs,
                                const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& s : inputs) n->add_input(s);
  for (const auto& s : outputs) n->add_output(s);
  return n;
}

inline void AddIntsAttr(onnx::NodeProto* n, const std::string& name,
                        const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

inline void AddIntAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

inline void AddFloatAttr(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

inline onnx::TensorProto MakeFloatTensor(const std::string& name, const std::vector<int64_t>& dims,
                                         const std::vector<float>& values, bool raw) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

inline onnx::TensorProto* AddFloatInitializer(onnx::GraphProto* g, const std::string& name,
                                              const std::vector<int64_t>& dims,
                                              const std::vector<float>& values, bool raw = true) {
  auto* t = g->add_initializer();
  *t = MakeFloatTensor(name, dims, values, raw);
  return t;
}

// x [N,1,4,4] -> Conv(w [2,1,3,3], b [2], pads 1, name "conv_0") -> Relu ("relu_0") -> y.
inline onnx::ModelProto ConvReluModel(bool raw = true) {
  onnx::ModelProto m = MakeModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {-1, 1, 4, 4});
  AddOutput(g, "y", {-1, 2, 4, 4});
  std::vector<float> w(18);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5f * static_cast<float>(i) - 4.0f;
  AddFloatInitializer(g, "w", {2, 1, 3, 3}, w, raw);
  AddFloatInitializer(g, "b", {2}, {0.25f, -1.5f}, raw);
  auto* conv = AddNode(g, "Conv", {"x", "w", "b"}, {"c"}, "conv_0");
  AddIntsAttr(conv, "kernel_shape", {3, 3});
  AddIntsAttr(conv, "pads", {1, 1, 1, 1});
  AddIntsAttr(conv, "strides", {1, 1});
  AddNode(g, "Relu", {"c"}, {"y"}, "relu_0");
  return m;
}

inline std::string Serialize(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("sparseloom_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace sl::testing
