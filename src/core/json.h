// A small JSON DOM parser for configs, manifests and profiles. Strict RFC 8259 (no comments or
// trailing commas), nesting limited to kMaxJsonDepth, errors with line and column.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace sl {

inline constexpr int kMaxJsonDepth = 128;

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;
  static Result<Json> Parse(const std::string& text, const std::string& source_name);
  static Result<Json> ParseFile(const std::string& path);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_bool() const { return type_ == Type::kBool; }

  double number() const { return number_; }
  bool boolean() const { return bool_; }
  const std::string& string() const { return string_; }
  const std::vector<Json>& array() const { return array_; }
  const std::map<std::string, Json>& object() const { return object_; }
  // Member of an object, or nullptr.
  const Json* Find(const std::string& key) const;

  // Typed member access with errors naming `where` and the key.
  Result<double> GetNumber(const std::string& key, const std::string& where) const;
  Result<std::string> GetString(const std::string& key, const std::string& where) const;
  Result<const Json*> GetArray(const std::string& key, const std::string& where) const;
  Result<const Json*> GetObject(const std::string& key, const std::string& where) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  double number_ = 0;
  bool bool_ = false;
  std::string string_;
  std::vector<Json> array_;
  std::map<std::string, Json> object_;
};

}  // namespace sl
