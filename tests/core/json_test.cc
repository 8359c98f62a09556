#include "core/json.h"

#include <gtest/gtest.h>

#include <random>

namespace sl {
namespace {

TEST(JsonTest, ParsesNestedDocuments) {
  auto j =
      Json::Parse(R"({"a": [1, 2.5e1, -3], "b": {"c": "x\ny\u00e9"}, "d": true, "e": null})", "t");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(j->Find("a")->array()[1].number(), 25.0);
  EXPECT_EQ(j->Find("b")->Find("c")->string(), "x\ny\xc3\xa9");
  EXPECT_TRUE(j->Find("d")->boolean());
  EXPECT_TRUE(j->Find("e")->is_null());
  EXPECT_FALSE(j->GetNumber("b", "t").ok());
}

TEST(JsonTest, RejectsBrokenInputWithPosition) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "\"abc", "01x",
                          "{\"a\":1}{", "[1e999]", "{\"a\":1,\"a\":2}", "\"\\q\""}) {
    auto j = Json::Parse(bad, "cfg.json");
    ASSERT_FALSE(j.ok()) << bad;
    EXPECT_EQ(j.status().message().rfind("cfg.json:", 0), 0u) << j.status().message();
  }
}

TEST(JsonTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_FALSE(Json::Parse(deep, "deep").ok());
}

TEST(JsonTest, RandomBytesNeverCrash) {
  std::mt19937 rng(5);
  const std::string alphabet = "{}[]\":,0123456789.eE-+truefalsnl \\u";
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int k = static_cast<int>(rng() % 40); k > 0; --k) s += alphabet[rng() % alphabet.size()];
    (void)Json::Parse(s, "fuzz").ok();
  }
}

TEST(JsonTest, MissingFileIsNotFound) {
  EXPECT_EQ(Json::ParseFile("/nonexistent/x.json").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace sl
