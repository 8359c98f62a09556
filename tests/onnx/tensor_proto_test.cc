// TensorProto conversion: raw and typed data, every dtype, external data and its path checks.
#include "onnx/tensor_proto.h"

#include <gtest/gtest.h>

#include <cstring>

#include "onnx/loader.h"
#include "onnx/model_builder.h"

namespace sl::onnx_import {
namespace {

using testing::MakeFloatTensor;

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

TEST(TensorProtoTest, RawAndFloatDataAgree) {
  std::vector<float> v = {1.0f, -2.0f, 3.5f, 0.0f, 1e-3f, 7.0f};
  Result<Tensor> raw = TensorFromProto(MakeFloatTensor("t", {2, 3}, v, true), "", "ctx");
  Result<Tensor> typed = TensorFromProto(MakeFloatTensor("t", {2, 3}, v, false), "", "ctx");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  ASSERT_TRUE(typed.ok()) << typed.status().message();
  EXPECT_EQ(raw->shape(), (Shape{2, 3}));
  EXPECT_EQ(raw->dtype(), DType::kF32);
  EXPECT_EQ(raw->ToDoubles(), typed->ToDoubles());
  EXPECT_EQ(raw->data<float>()[4], 1e-3f);
}

TEST(TensorProtoTest, Int32DataCarriesNarrowTypes) {
  struct Case {
    int32_t onnx_type;
    std::vector<int32_t> values;
    std::vector<int64_t> expected;
  };
  std::vector<Case> cases = {
      {onnx::TensorProto::INT8, {-128, 0, 127}, {-128, 0, 127}},
      {onnx::TensorProto::UINT8, {0, 200, 255}, {0, 200, 255}},
      {onnx::TensorProto::INT16, {-32768, 5, 32767}, {-32768, 5, 32767}},
      {onnx::TensorProto::UINT16, {0, 40000, 65535}, {0, 40000, 65535}},
      {onnx::TensorProto::INT32, {-7, 0, 1 << 30}, {-7, 0, 1 << 30}},
      {onnx::TensorProto::BOOL, {1, 0, 1}, {1, 0, 1}},
      {onnx::TensorProto::FLOAT16, {0x3C00, 0xC000, 0x0000}, {1, -2, 0}},  // 1.0, -2.0, 0.0
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(OnnxDataTypeName(c.onnx_type));
    onnx::TensorProto p;
    p.set_data_type(c.onnx_type);
    p.add_dims(3);
    for (int32_t v : c.values) p.add_int32_data(v);
    Result<Tensor> t = TensorFromProto(p, "", "ctx");
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->ToInt64s(), c.expected);
  }
}

TEST(TensorProtoTest, Int32DataOutOfRangeIsRejected) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(2);
  p.add_int32_data(1);
  p.add_int32_data(300);
  Result<Tensor> t = TensorFromProto(p, "", "m.onnx: initializer 'q'");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status(), "m.onnx: initializer 'q': int32_data[1] = 300"))
      << t.status().message();
}

TEST(TensorProtoTest, Int64AndDoubleData) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT64);
  p.add_dims(2);
  p.add_int64_data(int64_t{1} << 40);
  p.add_int64_data(-3);
  Result<Tensor> t = TensorFromProto(p, "", "ctx");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->ToInt64s(), (std::vector<int64_t>{int64_t{1} << 40, -3}));

  onnx::TensorProto d;
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_double_data(0.125);  // a scalar: no dims
  Result<Tensor> s = TensorFromProto(d, "", "ctx");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->rank(), 0);
  EXPECT_EQ(s->ToDoubles(), (std::vector<double>{0.125}));
}

TEST(TensorProtoTest, RawBoolsAreNormalized) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::BOOL);
  p.add_dims(3);
  p.set_raw_data(std::string("\x00\x01\x07", 3));
  Result<Tensor> t = TensorFromProto(p, "", "ctx");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const auto* bytes = static_cast<const uint8_t*>(t->raw());
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);
}

TEST(TensorProtoTest, EmptyTensorIsFine) {
  Result<Tensor> t = TensorFromProto(MakeFloatTensor("e", {0, 3}, {}, true), "", "ctx");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->numel(), 0);
}

TEST(TensorProtoTest, SizeMismatchesAreRejected) {
  Result<Tensor> raw = TensorFromProto(MakeFloatTensor("t", {2, 3}, {1, 2, 3}, true), "", "ctx");
  ASSERT_FALSE(raw.ok());
  EXPECT_TRUE(Contains(raw.status(), "raw_data holds 12 bytes but shape [2,3] of float32 needs 24"))
      << raw.status().message();
  Result<Tensor> typed = TensorFromProto(MakeFloatTensor("t", {4}, {1, 2, 3}, false), "", "ctx");
  ASSERT_FALSE(typed.ok());
  EXPECT_TRUE(Contains(typed.status(), "float_data holds 3 values")) << typed.status().message();
  onnx::TensorProto nodata;
  nodata.set_data_type(onnx::TensorProto::FLOAT);
  nodata.add_dims(5);
  EXPECT_FALSE(TensorFromProto(nodata, "", "ctx").ok());
}

TEST(TensorProtoTest, UnsupportedDTypesAreRejected) {
  for (int32_t type :
       std::vector<int32_t>{onnx::TensorProto::STRING, onnx::TensorProto::COMPLEX64,
                            onnx::TensorProto::COMPLEX128, onnx::TensorProto::BFLOAT16,
                            onnx::TensorProto::UINT32, onnx::TensorProto::UINT64, 0, 99}) {
    onnx::TensorProto p;
    p.set_data_type(type);
    p.add_dims(1);
    p.set_raw_data(std::string(16, '\0'));
    Result<Tensor> t = TensorFromProto(p, "", "m.onnx: initializer 'z'");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
    EXPECT_TRUE(Contains(t.status(),
                         "m.onnx: initializer 'z': unsupported dtype " + OnnxDataTypeName(type)))
        << t.status().message();
  }
}

TEST(TensorProtoTest, HugeAndNegativeDimsAreRejectedBeforeAllocating) {
  onnx::TensorProto huge;
  huge.set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < 3; ++i) huge.add_dims(int64_t{1} << 20);
  Result<Tensor> h = TensorFromProto(huge, "", "ctx");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kOutOfRange);

  onnx::TensorProto overflow;  // the product overflows int64
  overflow.set_data_type(onnx::TensorProto::DOUBLE);
  for (int i = 0; i < 4; ++i) overflow.add_dims(int64_t{1} << 62);
  EXPECT_FALSE(TensorFromProto(overflow, "", "ctx").ok());

  onnx::TensorProto negative = MakeFloatTensor("n", {2}, {1, 2}, true);
  negative.set_dims(0, -2);
  Result<Tensor> n = TensorFromProto(negative, "", "ctx");
  ASSERT_FALSE(n.ok());
  EXPECT_TRUE(Contains(n.status(), "negative dimension")) << n.status().message();
}

// External data: a file inside the model's folder, at an offset.
class ExternalDataTest : public ::testing::Test {
 protected:
  ExternalDataTest() : dir_("external_data") {
    std::string bytes(8, 'x');  // padding before the tensor
    std::vector<float> v = {1.5f, -2.5f, 3.0f, 4.0f};
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    std::filesystem::create_directories(dir_.path() / "weights");
    testing::WriteFile(dir_.path() / "weights" / "w.bin", bytes);
  }

  static onnx::TensorProto External(const std::string& location, const std::string& offset = "8",
                                    const std::string& length = "16") {
    onnx::TensorProto p;
    p.set_name("w");
    p.set_data_type(onnx::TensorProto::FLOAT);
    p.add_dims(2);
    p.add_dims(2);
    p.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&p](const std::string& k, const std::string& v) {
      auto* e = p.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    if (!offset.empty()) add("offset", offset);
    if (!length.empty()) add("length", length);
    return p;
  }

  testing::TempDir dir_;
};

TEST_F(ExternalDataTest, LoadsFromTheModelFolder) {
  Result<Tensor> t = TensorFromProto(External("weights/w.bin"), dir_.path().string(), "ctx");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->ToDoubles(), (std::vector<double>{1.5, -2.5, 3.0, 4.0}));
  Result<Tensor> no_length =
      TensorFromProto(External("./weights/w.bin", "8", ""), dir_.path().string(), "ctx");
  ASSERT_TRUE(no_length.ok()) << no_length.status().message();
}

TEST_F(ExternalDataTest, LoadsThroughAWholeModel) {
  onnx::ModelProto m = testing::MakeModel(13);
  auto* g = m.mutable_graph();
  testing::AddInput(g, "x", {2, 2});
  testing::AddOutput(g, "y", {2, 2});
  *g->add_initializer() = External("weights/w.bin");
  testing::AddNode(g, "Add", {"x", "w"}, {"y"}, "add");
  testing::WriteFile(dir_.path() / "m.onnx", testing::Serialize(m));
  Result<Graph> r = LoadOnnxModel(dir_.file("m.onnx"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values[r->FindValue("w")].constant.ToDoubles(),
            (std::vector<double>{1.5, -2.5, 3.0, 4.0}));
  // Without a folder to resolve against, the same bytes are refused.
  Result<Graph> no_dir = LoadOnnxModelFromBytes(testing::Serialize(m), "m.onnx", "");
  ASSERT_FALSE(no_dir.ok());
  EXPECT_TRUE(Contains(no_dir.status(), "m.onnx: initializer 'w'")) << no_dir.status().message();
}

TEST_F(ExternalDataTest, PathsEscapingTheFolderAreRejected) {
  std::filesystem::create_directories(dir_.path() / "model");
  std::string model_dir = (dir_.path() / "model").string();
  std::string abs = (dir_.path() / "weights" / "w.bin").string();
  for (const std::string& loc :
       {std::string("../weights/w.bin"), abs, std::string("a/../../weights/w.bin"),
        std::string("..\\weights\\w.bin"), std::string("C:\\w.bin"), std::string("/etc/passwd")}) {
    SCOPED_TRACE(loc);
    Result<Tensor> t = TensorFromProto(External(loc), model_dir, "m.onnx: initializer 'w'");
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(Contains(t.status(), "m.onnx: initializer 'w': external data location '" + loc))
        << t.status().message();
  }
  // A link inside the folder that points outside it.
  std::error_code ec;
  std::filesystem::create_symlink(abs, dir_.path() / "model" / "link.bin", ec);
  if (!ec) {
    Result<Tensor> t = TensorFromProto(External("link.bin"), model_dir, "ctx");
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(Contains(t.status(), "outside the model's folder")) << t.status().message();
  }
}

TEST_F(ExternalDataTest, BadOffsetsLengthsAndMissingFilesAreRejected) {
  std::string base = dir_.path().string();
  EXPECT_FALSE(TensorFromProto(External("weights/w.bin", "-1"), base, "ctx").ok());
  EXPECT_FALSE(TensorFromProto(External("weights/w.bin", "8x"), base, "ctx").ok());
  EXPECT_FALSE(TensorFromProto(External("weights/w.bin", "12"), base, "ctx").ok());  // too short
  EXPECT_FALSE(TensorFromProto(External("weights/w.bin", "8", "12"), base, "ctx").ok());
  EXPECT_FALSE(
      TensorFromProto(External("weights/w.bin", "99999999999999999999"), base, "ctx").ok());
  Result<Tensor> missing = TensorFromProto(External("weights/nope.bin"), base, "ctx");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(TensorFromProto(External(""), base, "ctx").ok());
}

TEST(LoadTensorProtoFileTest, ReadsASerializedTensor) {
  testing::TempDir dir("tensor_file");
  std::string bytes;
  MakeFloatTensor("input_0", {3}, {1, 2, 3}, true).SerializeToString(&bytes);
  testing::WriteFile(dir.path() / "input_0.pb", bytes);
  std::string name;
  Result<Tensor> t = LoadTensorProtoFile(dir.file("input_0.pb"), &name);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(name, "input_0");
  EXPECT_EQ(t->ToDoubles(), (std::vector<double>{1, 2, 3}));

  Result<Tensor> missing = LoadTensorProtoFile(dir.file("nope.pb"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.status(), dir.file("nope.pb")));

  testing::WriteFile(dir.path() / "garbage.pb", "\xff\xff\xff\xff\xff not a tensor");
  EXPECT_FALSE(LoadTensorProtoFile(dir.file("garbage.pb")).ok());
  testing::WriteFile(dir.path() / "empty.pb", "");
  EXPECT_FALSE(LoadTensorProtoFile(dir.file("empty.pb")).ok());
}

}  // namespace
}  // namespace sl::onnx_import
