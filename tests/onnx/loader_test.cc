// The ONNX importer on well-formed models: values, attributes, constants, shapes, names.
#include "onnx/loader.h"

#include <gtest/gtest.h>

#include "onnx/model_builder.h"

namespace sl {
namespace {

using testing::AddFloatInitializer;
using testing::AddInput;
using testing::AddIntAttr;
using testing::AddNode;
using testing::AddOutput;
using testing::ConvReluModel;
using testing::MakeModel;
using testing::Serialize;

Result<Graph> Load(const onnx::ModelProto& m) {
  return LoadOnnxModelFromBytes(Serialize(m), "model.onnx", "");
}

const Node* FindNode(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

TEST(OnnxLoaderTest, ConvReluLoadsWithValuesAndAttributes) {
  for (bool raw : {true, false}) {
    SCOPED_TRACE(raw ? "raw_data" : "float_data");
    Result<Graph> r = Load(ConvReluModel(raw));
    ASSERT_TRUE(r.ok()) << r.status().message();
    const Graph& g = *r;
    EXPECT_EQ(g.source, "model.onnx");
    EXPECT_EQ(g.opset, 13);
    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].op, OpType::kConv);
    EXPECT_EQ(g.nodes[0].name, "conv_0");
    EXPECT_EQ(g.nodes[1].op, OpType::kRelu);
    EXPECT_EQ(g.nodes[0].attrs.GetInts("kernel_shape"), (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(g.nodes[0].attrs.GetInts("pads"), (std::vector<int64_t>{1, 1, 1, 1}));

    ASSERT_EQ(g.inputs.size(), 1u);
    const Value& x = g.values[g.inputs[0]];
    EXPECT_EQ(x.name, "x");
    EXPECT_EQ(x.dtype, DType::kF32);
    EXPECT_TRUE(x.known_rank);
    EXPECT_EQ(x.shape, (Shape{-1, 1, 4, 4}));

    const Value& w = g.values[g.FindValue("w")];
    ASSERT_TRUE(w.is_constant());
    EXPECT_EQ(w.shape, (Shape{2, 1, 3, 3}));
    EXPECT_EQ(w.constant.shape(), (Shape{2, 1, 3, 3}));
    for (int i = 0; i < 18; ++i) EXPECT_EQ(w.constant.data<float>()[i], 0.5f * i - 4.0f);
    const Value& b = g.values[g.FindValue("b")];
    EXPECT_EQ(b.constant.ToDoubles(), (std::vector<double>{0.25, -1.5}));

    ASSERT_EQ(g.outputs.size(), 1u);
    const Value& y = g.values[g.outputs[0]];
    EXPECT_EQ(y.name, "y");
    EXPECT_EQ(y.shape, (Shape{-1, 2, 4, 4}));
    EXPECT_EQ(g.nodes[0].inputs,
              (std::vector<int>{g.FindValue("x"), g.FindValue("w"), g.FindValue("b")}));
  }
}

TEST(OnnxLoaderTest, LoadsFromFileAndNamesThePath) {
  testing::TempDir dir("loader_file");
  testing::WriteFile(dir.path() / "m.onnx", Serialize(ConvReluModel()));
  Result<Graph> r = LoadOnnxModel(dir.file("m.onnx"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source, dir.file("m.onnx"));
}

TEST(OnnxLoaderTest, InputThatIsAlsoInitializerIsAConstant) {
  onnx::ModelProto m = ConvReluModel();
  AddInput(m.mutable_graph(), "w", {2, 1, 3, 3});
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->values[r->inputs[0]].name, "x");
  EXPECT_TRUE(r->values[r->FindValue("w")].is_constant());
}

TEST(OnnxLoaderTest, DynamicDimsAndUnknownRank) {
  onnx::ModelProto m = MakeModel(17);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {-1, -2, 3});  // dim_param, and a dim with neither value nor param
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);  // no shape
  AddNode(g, "Identity", {"x"}, {"y"});
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->opset, 17);
  const Value& x = r->values[r->inputs[0]];
  EXPECT_EQ(x.shape, (Shape{-1, -1, 3}));
  EXPECT_TRUE(x.known_rank);
  const Value& out = r->values[r->outputs[0]];
  EXPECT_FALSE(out.known_rank);
  EXPECT_EQ(out.dtype, DType::kF32);
  EXPECT_EQ(r->nodes[0].name, "Identity_0");
}

TEST(OnnxLoaderTest, ValueInfoTypesIntermediates) {
  onnx::ModelProto m = ConvReluModel();
  testing::SetTensorType(m.mutable_graph()->add_value_info(), onnx::TensorProto::FLOAT,
                         {-1, 2, 4, 4});
  m.mutable_graph()->mutable_value_info(0)->set_name("c");
  testing::SetTensorType(m.mutable_graph()->add_value_info(), onnx::TensorProto::FLOAT, {1});
  m.mutable_graph()->mutable_value_info(1)->set_name("unused");
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Value& c = r->values[r->FindValue("c")];
  EXPECT_TRUE(c.known_rank);
  EXPECT_EQ(c.shape, (Shape{-1, 2, 4, 4}));
  EXPECT_EQ(r->FindValue("unused"), kNoValue);
}

TEST(OnnxLoaderTest, ConstantNodesKeepTheirValueAttributes) {
  onnx::ModelProto m = MakeModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {2, 3});
  AddOutput(g, "y", {-1});
  auto* c1 = AddNode(g, "Constant", {}, {"shape"}, "c_tensor");
  auto* a = c1->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_dims(1);
  a->mutable_t()->add_int64_data(-1);
  auto* c2 = AddNode(g, "Constant", {}, {"k"}, "c_float");
  testing::AddFloatAttr(c2, "value_float", 2.5f);
  auto* c3 = AddNode(g, "Constant", {}, {"ks"}, "c_ints");
  testing::AddIntsAttr(c3, "value_ints", {4, 5, 6});
  auto* c4 = AddNode(g, "Constant", {}, {"i"}, "c_int");
  AddIntAttr(c4, "value_int", 7);
  auto* c5 = AddNode(g, "Constant", {}, {"fs"}, "c_floats");
  auto* fa = c5->add_attribute();
  fa->set_name("value_floats");
  fa->set_type(onnx::AttributeProto::FLOATS);
  fa->add_floats(1.0f);
  fa->add_floats(2.0f);
  AddNode(g, "Reshape", {"x", "shape"}, {"y"}, "reshape");
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();

  const Node* n1 = FindNode(*r, "c_tensor");
  ASSERT_NE(n1, nullptr);
  const Tensor* t = n1->attrs.GetTensor("value");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype(), DType::kI64);
  EXPECT_EQ(t->ToInt64s(), (std::vector<int64_t>{-1}));
  const Value& shape = r->values[r->FindValue("shape")];
  EXPECT_EQ(shape.dtype, DType::kI64);
  EXPECT_EQ(shape.shape, (Shape{1}));
  EXPECT_FALSE(shape.is_constant());  // folding is the executor's job

  EXPECT_EQ(FindNode(*r, "c_float")->attrs.GetFloat("value_float", 0), 2.5f);
  EXPECT_EQ(r->values[r->FindValue("k")].shape, Shape{});
  EXPECT_TRUE(r->values[r->FindValue("k")].known_rank);
  EXPECT_EQ(FindNode(*r, "c_ints")->attrs.GetInts("value_ints"), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(r->values[r->FindValue("ks")].shape, (Shape{3}));
  EXPECT_EQ(r->values[r->FindValue("ks")].dtype, DType::kI64);
  EXPECT_EQ(FindNode(*r, "c_int")->attrs.GetInt("value_int", 0), 7);
  EXPECT_EQ(FindNode(*r, "c_floats")->attrs.GetFloats("value_floats"),
            (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(r->values[r->FindValue("fs")].dtype, DType::kF32);
}

TEST(OnnxLoaderTest, ConstantWithoutValueOrWithStringIsRejected) {
  for (const char* attr : {"", "value_string", "alpha"}) {
    SCOPED_TRACE(attr);
    onnx::ModelProto m = MakeModel(13);
    auto* g = m.mutable_graph();
    AddOutput(g, "y", {});
    auto* c = AddNode(g, "Constant", {}, {"y"}, "c");
    if (*attr) {
      auto* a = c->add_attribute();
      a->set_name(attr);
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s("hello");
    }
    Result<Graph> r = Load(m);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("model.onnx: node 'c' (Constant)"), std::string::npos)
        << r.status().message();
  }
}

TEST(OnnxLoaderTest, OmittedOptionalInputsAndOutputs) {
  onnx::ModelProto m = MakeModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {4});
  AddOutput(g, "y", {4});
  AddNode(g, "Clip", {"x", "", "hi"}, {"y", ""});
  AddFloatInitializer(g, "hi", {}, {6.0f});
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& n = r->nodes[0];
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[1], kNoValue);
  EXPECT_EQ(n.inputs[2], r->FindValue("hi"));
  EXPECT_EQ(n.outputs.size(), 1u);  // trailing omitted output dropped
  EXPECT_EQ(n.name, "Clip_0");
}

TEST(OnnxLoaderTest, NodesAreSortedAndSynthesizedNamesAreUnique) {
  onnx::ModelProto m = MakeModel(13);
  auto* g = m.mutable_graph();
  AddInput(g, "x", {4});
  AddOutput(g, "z", {4});
  AddNode(g, "Relu", {"y"}, {"z"});            // synthesized "Relu_0"
  AddNode(g, "Relu", {"x"}, {"y"}, "Relu_0");  // explicit name taken first
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->nodes.size(), 2u);
  EXPECT_EQ(r->nodes[0].name, "Relu_0");
  EXPECT_EQ(r->nodes[1].name, "Relu_0_1");
  EXPECT_EQ(r->values[r->nodes[1].outputs[0]].name, "z");
}

TEST(OnnxLoaderTest, AiOnnxDomainIsTheDefaultDomain) {
  onnx::ModelProto m = ConvReluModel();
  m.mutable_opset_import(0)->set_domain("ai.onnx");
  auto* other = m.add_opset_import();
  other->set_domain("com.microsoft");
  other->set_version(1);
  m.mutable_graph()->mutable_node(1)->set_domain("ai.onnx");
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->opset, 13);
}

TEST(OnnxLoaderTest, AttributesOfEveryKindAndUntypedAttributes) {
  onnx::ModelProto m = ConvReluModel();
  auto* conv = m.mutable_graph()->mutable_node(0);
  auto* s = conv->add_attribute();
  s->set_name("auto_pad");
  s->set_s("NOTSET");  // no type: typed by the field that is set
  Result<Graph> r = Load(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->nodes[0].attrs.GetString("auto_pad", ""), "NOTSET");
}

}  // namespace
}  // namespace sl
