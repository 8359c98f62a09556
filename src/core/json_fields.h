// Reading one JSON object of a config file with errors that name the file and the field:
// "<source>: tasks[1].arrival.rate: 1e+300 is out of range [1e-06, 1e+06]". Unknown keys fail
// (typos in configs do not pass silently). Used by workloads, SoC models and other configs.
#pragma once

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <sstream>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace sl {

// One JSON object being read, named "<source>: <path>" in every error. The root's `where` is
// "<source>:"; a member's is Field(key).
class JsonFields {
 public:
  JsonFields(const Json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status Check(std::initializer_list<const char*> keys) const {
    if (!j_.is_object())
      return InvalidArgument(where_ + (where_.back() == ':' ? "" : ":") + " must be an object");
    for (const auto& kv : j_.object()) {
      const std::string& key = kv.first;
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; }))
        return InvalidArgument(Field(key) + ": unknown field");
    }
    return Status::Ok();
  }
  std::string Field(const std::string& key) const {
    return where_ + (where_.back() == ':' ? " " : ".") + key;
  }
  const Json* Find(const char* key) const { return j_.Find(key); }

  Result<double> Number(const char* key, double lo, double hi, double fallback,
                        bool required = false, bool open_lo = false) const {
    const Json* v = j_.Find(key);
    if (!v) {
      if (required) return InvalidArgument(Field(key) + ": missing");
      return fallback;
    }
    return CheckNumber(*v, Field(key), lo, hi, open_lo);
  }
  bool Has(const char* key) const { return j_.Find(key) != nullptr; }
  Result<std::string> Text(const char* key, bool required, const std::string& fallback = "") const {
    const Json* v = j_.Find(key);
    if (!v) {
      if (required) return InvalidArgument(Field(key) + ": missing");
      return fallback;
    }
    if (!v->is_string() || v->string().empty())
      return InvalidArgument(Field(key) + ": must be a non-empty string");
    return v->string();
  }
  Result<bool> Bool(const char* key, bool fallback) const {
    const Json* v = j_.Find(key);
    if (!v) return fallback;
    if (!v->is_bool()) return InvalidArgument(Field(key) + ": must be true or false");
    return v->boolean();
  }

  static Result<double> CheckNumber(const Json& v, const std::string& where, double lo, double hi,
                                    bool open_lo) {
    if (!v.is_number()) return InvalidArgument(where + ": must be a number");
    const double x = v.number();
    if (!std::isfinite(x) || x < lo || x > hi || (open_lo && x == lo))
      return InvalidArgument(where + ": " + Num(x) + " is out of range " + (open_lo ? "(" : "[") +
                             Num(lo) + ", " + Num(hi) + "]");
    return x;
  }

 private:
  static std::string Num(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
  }
  const Json& j_;
  std::string where_;
};

}  // namespace sl
