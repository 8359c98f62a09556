// The ONNX importer on bad input: every case returns one clear Status and never crashes.
#include <gtest/gtest.h>

#include <random>

#include "onnx/loader.h"
#include "onnx/model_builder.h"

namespace sl {
namespace {

using testing::AddInput;
using testing::AddNode;
using testing::AddOutput;
using testing::ConvReluModel;
using testing::MakeModel;
using testing::Serialize;

Result<Graph> LoadBytes(const std::string& bytes) {
  return LoadOnnxModelFromBytes(bytes, "model.onnx", "");
}

// Expects failure with `code` and a message containing every piece of `parts`.
void ExpectError(const Result<Graph>& r, StatusCode code, const std::vector<std::string>& parts) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  for (const std::string& p : parts)
    EXPECT_NE(r.status().message().find(p), std::string::npos)
        << "'" << p << "' not in: " << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << "one line";
}

TEST(MalformedModelTest, MissingFileIsNotFound) {
  ExpectError(LoadOnnxModel("/nonexistent/dir/model.onnx"), StatusCode::kNotFound,
              {"/nonexistent/dir/model.onnx"});
}

TEST(MalformedModelTest, EmptyFileAndDirectoryAreRejected) {
  testing::TempDir dir("empty_model");
  testing::WriteFile(dir.path() / "empty.onnx", "");
  ExpectError(LoadOnnxModel(dir.file("empty.onnx")), StatusCode::kInvalidArgument,
              {dir.file("empty.onnx"), "not an ONNX model"});
  EXPECT_FALSE(LoadOnnxModel(dir.path().string()).ok());
}

TEST(MalformedModelTest, TruncatedModelsAreRejected) {
  std::string bytes = Serialize(ConvReluModel());
  // Every strict prefix: the opset_import comes last, so no prefix is a complete model.
  for (size_t n = 1; n < bytes.size(); ++n) {
    Result<Graph> r = LoadBytes(bytes.substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes loaded";
    EXPECT_EQ(r.status().message().rfind("model.onnx: ", 0), 0u) << r.status().message();
  }
  ExpectError(LoadBytes(bytes.substr(0, bytes.size() / 2)), StatusCode::kInvalidArgument,
              {"model.onnx: not an ONNX model"});
}

TEST(MalformedModelTest, BitFlipsNeverCrash) {
  const uint32_t seed = 20240611;
  std::mt19937 rng(seed);
  std::string bytes = Serialize(ConvReluModel());
  int loaded = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::string mutated = bytes;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t pos = rng() % mutated.size();
      mutated[pos] = static_cast<char>(mutated[pos] ^ (1u << (rng() % 8)));
    }
    Result<Graph> r = LoadBytes(mutated);
    if (r.ok()) {
      ++loaded;
    } else {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  // Some flips only touch float payloads, so some models still load; print for the record.
  std::printf("bit flips (seed %u): %d of 4000 mutated models loaded\n", seed, loaded);
}

TEST(MalformedModelTest, RandomGarbageIsRejected) {
  const uint32_t seed = 7;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 500; ++trial) {
    std::string garbage(1 + rng() % 2048, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    Result<Graph> r = LoadBytes(garbage);
    ASSERT_FALSE(r.ok()) << "seed " << seed << " trial " << trial;
  }
  ExpectError(LoadBytes("this is a text file, not a model"), StatusCode::kInvalidArgument,
              {"model.onnx: not an ONNX model"});
}

TEST(MalformedModelTest, ProtobufWithoutGraphOrVersionsIsNotOnnx) {
  onnx::ModelProto no_graph = ConvReluModel();
  no_graph.clear_graph();
  ExpectError(LoadBytes(Serialize(no_graph)), StatusCode::kInvalidArgument,
              {"not an ONNX model", "no graph"});
  onnx::ModelProto no_ir = ConvReluModel();
  no_ir.clear_ir_version();
  ExpectError(LoadBytes(Serialize(no_ir)), StatusCode::kInvalidArgument,
              {"not an ONNX model", "ir_version"});
  onnx::ModelProto no_opset = ConvReluModel();
  no_opset.clear_opset_import();
  ExpectError(LoadBytes(Serialize(no_opset)), StatusCode::kInvalidArgument,
              {"not an ONNX model", "opset"});
  // Valid ONNX that imports only other operator domains: unsupported, not malformed.
  onnx::ModelProto other_domain_only = ConvReluModel();
  other_domain_only.mutable_opset_import(0)->set_domain("ai.onnx.ml");
  ExpectError(LoadBytes(Serialize(other_domain_only)), StatusCode::kUnsupported,
              {"model.onnx: ", "ai.onnx.ml"});
  // A TensorProto is valid protobuf but not a model.
  std::string tensor;
  testing::MakeFloatTensor("t", {2}, {1, 2}, true).SerializeToString(&tensor);
  EXPECT_FALSE(LoadBytes(tensor).ok());
}

TEST(MalformedModelTest, AbsurdIrVersionsAndOpsetsAreRejected) {
  for (int64_t ir : {int64_t{-5}, int64_t{2}, int64_t{1000}, int64_t{1} << 60}) {
    onnx::ModelProto m = ConvReluModel();
    m.set_ir_version(ir);
    EXPECT_FALSE(LoadBytes(Serialize(m)).ok()) << ir;
  }
  onnx::ModelProto future = ConvReluModel();
  future.mutable_opset_import(0)->set_version(kMaxOnnxOpset + 1);
  ExpectError(LoadBytes(Serialize(future)), StatusCode::kUnsupported,
              {"opset " + std::to_string(kMaxOnnxOpset + 1)});
  onnx::ModelProto zero = ConvReluModel();
  zero.mutable_opset_import(0)->set_version(0);
  EXPECT_FALSE(LoadBytes(Serialize(zero)).ok());
}

TEST(MalformedModelTest, UnsupportedOpNamesNodeAndOp) {
  onnx::ModelProto m = ConvReluModel();
  auto* n = AddNode(m.mutable_graph(), "FooOp", {"y"}, {"z"}, "conv_3");
  (void)n;
  ExpectError(LoadBytes(Serialize(m)), StatusCode::kUnsupported,
              {"model.onnx: node 'conv_3' (FooOp): unsupported op 'FooOp' (domain '')",
               "SparseLoom supports: Conv, Gemm"});
  onnx::ModelProto unnamed = ConvReluModel();
  AddNode(unnamed.mutable_graph(), "LSTM", {"y"}, {"z"});
  ExpectError(LoadBytes(Serialize(unnamed)), StatusCode::kUnsupported,
              {"node 'LSTM_2' (LSTM): unsupported op 'LSTM'"});
  // Gelu is internal here (the fused Erf expression): ONNX defines it from opset 20 only.
  onnx::ModelProto gelu = ConvReluModel();
  AddNode(gelu.mutable_graph(), "Gelu", {"y"}, {"z"}, "act");
  ExpectError(LoadBytes(Serialize(gelu)), StatusCode::kUnsupported,
              {"node 'act' (Gelu): Gelu is an ONNX op from opset 20 on"});
}

TEST(MalformedModelTest, NonDefaultDomainIsUnsupported) {
  onnx::ModelProto m = ConvReluModel();
  m.mutable_graph()->mutable_node(1)->set_domain("com.microsoft");
  ExpectError(LoadBytes(Serialize(m)), StatusCode::kUnsupported,
              {"node 'relu_0' (Relu)", "domain 'com.microsoft'"});
}

TEST(MalformedModelTest, InitializerProblemsNameTheInitializer) {
  onnx::ModelProto huge = ConvReluModel();
  auto* t = huge.mutable_graph()->mutable_initializer(0);
  t->clear_dims();
  t->clear_raw_data();
  for (int i = 0; i < 3; ++i) t->add_dims(int64_t{1} << 20);
  ExpectError(LoadBytes(Serialize(huge)), StatusCode::kOutOfRange,
              {"model.onnx: initializer 'w'", "[1048576,1048576,1048576]"});

  onnx::ModelProto negative = ConvReluModel();
  negative.mutable_graph()->mutable_initializer(1)->set_dims(0, -2);
  ExpectError(LoadBytes(Serialize(negative)), StatusCode::kInvalidArgument,
              {"initializer 'b'", "negative dimension"});

  onnx::ModelProto mismatch = ConvReluModel();
  mismatch.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(70);
  ExpectError(LoadBytes(Serialize(mismatch)), StatusCode::kInvalidArgument,
              {"initializer 'w'", "raw_data holds 70 bytes", "needs 72"});

  onnx::ModelProto bf16 = ConvReluModel();
  bf16.mutable_graph()->mutable_initializer(1)->set_data_type(onnx::TensorProto::BFLOAT16);
  ExpectError(LoadBytes(Serialize(bf16)), StatusCode::kUnsupported,
              {"initializer 'b'", "bfloat16"});

  onnx::ModelProto dup = ConvReluModel();
  *dup.mutable_graph()->add_initializer() = dup.graph().initializer(0);
  ExpectError(LoadBytes(Serialize(dup)), StatusCode::kInvalidArgument, {"'w' appears twice"});
}

TEST(MalformedModelTest, BadTypesOnInputsAndOutputs) {
  onnx::ModelProto str = ConvReluModel();
  str.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::STRING);
  ExpectError(LoadBytes(Serialize(str)), StatusCode::kUnsupported, {"graph input 'x'", "string"});

  onnx::ModelProto seq = ConvReluModel();
  seq.mutable_graph()->mutable_output(0)->mutable_type()->mutable_sequence_type();
  ExpectError(LoadBytes(Serialize(seq)), StatusCode::kUnsupported,
              {"graph output 'y'", "sequence"});

  onnx::ModelProto neg = ConvReluModel();
  neg.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(-3);
  ExpectError(LoadBytes(Serialize(neg)), StatusCode::kInvalidArgument,
              {"graph input 'x'", "negative dimension -3"});

  onnx::ModelProto big = ConvReluModel();
  auto* shape =
      big.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int i = 1; i < 4; ++i) shape->mutable_dim(i)->set_dim_value(int64_t{1} << 20);
  ExpectError(LoadBytes(Serialize(big)), StatusCode::kOutOfRange, {"graph input 'x'"});

  onnx::ModelProto untyped = ConvReluModel();
  untyped.mutable_graph()->mutable_input(0)->clear_type();
  ExpectError(LoadBytes(Serialize(untyped)), StatusCode::kInvalidArgument,
              {"graph input 'x' has no type"});
}

TEST(MalformedModelTest, CycleIsRejected) {
  onnx::ModelProto m = MakeModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {4});
  AddOutput(g, "b", {4});
  AddNode(g, "Add", {"x", "b"}, {"a"}, "first");
  AddNode(g, "Relu", {"a"}, {"b"}, "second");
  ExpectError(LoadBytes(Serialize(m)), StatusCode::kInvalidArgument,
              {"model.onnx: graph has a cycle through node '"});
}

TEST(MalformedModelTest, DanglingInputIsRejected) {
  onnx::ModelProto m = ConvReluModel();
  m.mutable_graph()->mutable_node(1)->set_input(0, "ghost");
  ExpectError(LoadBytes(Serialize(m)), StatusCode::kInvalidArgument,
              {"model.onnx: node 'relu_0' (Relu) reads 'ghost'"});
}

TEST(MalformedModelTest, StructuralProblemsAreRejected) {
  onnx::ModelProto no_outputs = ConvReluModel();
  no_outputs.mutable_graph()->clear_output();
  ExpectError(LoadBytes(Serialize(no_outputs)), StatusCode::kInvalidArgument, {"no outputs"});

  onnx::ModelProto ghost_output = ConvReluModel();
  ghost_output.mutable_graph()->mutable_output(0)->set_name("nobody");
  ExpectError(LoadBytes(Serialize(ghost_output)), StatusCode::kInvalidArgument,
              {"graph output 'nobody' is not produced"});

  onnx::ModelProto twice = ConvReluModel();
  twice.mutable_graph()->mutable_node(1)->set_output(0, "c");
  twice.mutable_graph()->mutable_output(0)->set_name("c");
  ExpectError(LoadBytes(Serialize(twice)), StatusCode::kInvalidArgument, {"is produced by"});

  onnx::ModelProto overwrite = ConvReluModel();
  overwrite.mutable_graph()->mutable_node(1)->set_output(0, "w");
  ExpectError(LoadBytes(Serialize(overwrite)), StatusCode::kInvalidArgument,
              {"node 'relu_0' (Relu): output 'w' overwrites an initializer"});

  onnx::ModelProto no_out = ConvReluModel();
  no_out.mutable_graph()->mutable_node(0)->clear_output();
  ExpectError(LoadBytes(Serialize(no_out)), StatusCode::kInvalidArgument,
              {"node 'conv_0' (Conv): node has no outputs"});

  onnx::ModelProto reserved = ConvReluModel();
  auto* a = reserved.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("_act");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("Relu");
  ExpectError(LoadBytes(Serialize(reserved)), StatusCode::kInvalidArgument,
              {"node 'conv_0' (Conv): attribute '_act'", "reserved"});

  onnx::ModelProto graph_attr = ConvReluModel();
  auto* ga = graph_attr.mutable_graph()->mutable_node(0)->add_attribute();
  ga->set_name("then_branch");
  ga->set_type(onnx::AttributeProto::GRAPH);
  ga->mutable_g()->set_name("sub");
  ExpectError(LoadBytes(Serialize(graph_attr)), StatusCode::kUnsupported,
              {"attribute 'then_branch' is a graph attribute"});

  onnx::ModelProto sparse = ConvReluModel();
  sparse.mutable_graph()->add_sparse_initializer()->mutable_values()->set_name("s");
  ExpectError(LoadBytes(Serialize(sparse)), StatusCode::kUnsupported, {"sparse_initializer 's'"});
}

}  // namespace
}  // namespace sl
