// Every ONNX node test (Debian's libonnx-testdata) whose ops are all in ops.def must load, and
// its test_data_set_0/*.pb tensors must read. Models whose values use types SparseLoom does not
// hold (string, bfloat16, uint32/64, sequences, optionals) must be refused as kUnsupported.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>

#include "core/dtype.h"
#include "onnx/loader.h"
#include "onnx/proto_io.h"

namespace sl {
namespace {

namespace fs = std::filesystem;

constexpr char kNodeTestDir[] = "/usr/share/libonnx-testdata/data/node";

bool AllOpsSupported(const onnx::GraphProto& g) {
  for (const auto& n : g.node())
    if (!OpTypeFromName(n.op_type()) || (!n.domain().empty() && n.domain() != "ai.onnx"))
      return false;
  return true;
}

bool TypeSupported(const onnx::TypeProto& t) {
  if (t.value_case() == onnx::TypeProto::VALUE_NOT_SET) return true;
  if (t.value_case() != onnx::TypeProto::kTensorType) return false;
  int32_t e = t.tensor_type().elem_type();
  return e == 0 || DTypeFromOnnx(e) != DType::kUndefined;
}

bool AllTypesSupported(const onnx::GraphProto& g) {
  for (const auto* list : {&g.input(), &g.output(), &g.value_info()})
    for (const auto& v : *list)
      if (!TypeSupported(v.type())) return false;
  return true;
}

TEST(OnnxNodeCorpusTest, SupportedNodeTestsLoad) {
  if (!fs::is_directory(kNodeTestDir)) GTEST_SKIP() << kNodeTestDir << " is not installed";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeTestDir))
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int loaded = 0, refused = 0, tensors = 0;
  for (const fs::path& dir : dirs) {
    const std::string path = (dir / "model.onnx").string();
    onnx::ModelProto model;
    Result<std::string> bytes = onnx_import::ReadFileBytes(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    ASSERT_TRUE(onnx_import::ParseMessage(*bytes, &model, path, "an ONNX model").ok()) << path;
    if (!AllOpsSupported(model.graph())) continue;
    Result<Graph> g = LoadOnnxModel(path);
    if (!AllTypesSupported(model.graph())) {
      ASSERT_FALSE(g.ok()) << path;
      EXPECT_EQ(g.status().code(), StatusCode::kUnsupported) << g.status().message();
      ++refused;
      continue;
    }
    ASSERT_TRUE(g.ok()) << g.status().message();
    EXPECT_EQ(g->nodes.size(), static_cast<size_t>(model.graph().node_size())) << path;
    ++loaded;
    fs::path data = dir / "test_data_set_0";
    if (!fs::is_directory(data)) continue;
    for (const auto& f : fs::directory_iterator(data)) {
      if (f.path().extension() != ".pb") continue;
      Result<Tensor> t = LoadTensorProtoFile(f.path().string());
      ASSERT_TRUE(t.ok()) << t.status().message();
      ++tensors;
    }
  }
  std::printf("node corpus: %d models loaded, %d refused for types, %d tensors read\n", loaded,
              refused, tensors);
  EXPECT_GT(loaded, 300);
}

}  // namespace
}  // namespace sl
