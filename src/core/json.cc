#include "core/json.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sl {

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  Result<Json> ParseDocument() {
    Json v;
    SL_RETURN_IF_ERROR(ParseValue(v, 0));
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected content after the JSON value");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return InvalidArgument(name_ + ":" + std::to_string(line) + ":" + std::to_string(col) +
                           ": invalid JSON: " + what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool Consume(const char* lit) {
    size_t n = std::char_traits<char>::length(lit);
    if (s_.compare(pos_, n, lit) != 0) return false;
    pos_ += n;
    return true;
  }

  Status ParseValue(Json& out, int depth) {
    if (depth > kMaxJsonDepth) return Error("nesting deeper than " + std::to_string(kMaxJsonDepth));
    SkipSpace();
    if (pos_ >= s_.size()) return Error("unexpected end of input");
    char c = s_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out.type_ = Json::Type::kString;
      return ParseString(out.string_);
    }
    if (Consume("true")) {
      out.type_ = Json::Type::kBool;
      out.bool_ = true;
      return Status::Ok();
    }
    if (Consume("false")) {
      out.type_ = Json::Type::kBool;
      out.bool_ = false;
      return Status::Ok();
    }
    if (Consume("null")) {
      out.type_ = Json::Type::kNull;
      return Status::Ok();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
    return Error(std::string("unexpected character '") + c + "'");
  }

  Status ParseNumber(Json& out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > b;
    };
    if (!digits()) return Error("bad number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Error("bad number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return Error("bad number");
    }
    out.type_ = Json::Type::kNumber;
    out.number_ = std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr);
    if (!std::isfinite(out.number_)) return Error("number out of range");
    return Status::Ok();
  }

  Status ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return Status::Ok();
      if (c < 0x20) return Error("control character in string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= s_.size()) return Error("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return Error("bad \\u escape");
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            cp <<= 4;
            if (h >= '0' && h <= '9')
              cp |= h - '0';
            else if (h >= 'a' && h <= 'f')
              cp |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
              cp |= h - 'A' + 10;
            else
              return Error("bad \\u escape");
          }
          // UTF-8 encode (surrogate pairs are kept as two 3-byte sequences).
          if (cp < 0x80)
            out += static_cast<char>(cp);
          else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
          }
          break;
        }
        default:
          return Error(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  Status ParseArray(Json& out, int depth) {
    out.type_ = Json::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      out.array_.emplace_back();
      SL_RETURN_IF_ERROR(ParseValue(out.array_.back(), depth + 1));
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or ']' in array");
    }
  }

  Status ParseObject(Json& out, int depth) {
    out.type_ = Json::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a string key");
      std::string key;
      SL_RETURN_IF_ERROR(ParseString(key));
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':')
        return Error("expected ':' after key \"" + key + "\"");
      ++pos_;
      Json value;
      SL_RETURN_IF_ERROR(ParseValue(value, depth + 1));
      if (out.object_.count(key)) return Error("duplicate key \"" + key + "\"");
      out.object_.emplace(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or '}' in object");
    }
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
};

Result<Json> Json::Parse(const std::string& text, const std::string& source_name) {
  return JsonParser(text, source_name).ParseDocument();
}

Result<Json> Json::ParseFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound(path + ": cannot open JSON file");
  std::stringstream ss;
  ss << f.rdbuf();
  return Parse(ss.str(), path);
}

const Json* Json::Find(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &it->second;
}

Result<double> Json::GetNumber(const std::string& key, const std::string& where) const {
  const Json* v = Find(key);
  if (!v || !v->is_number()) return InvalidArgument(where + ": \"" + key + "\" must be a number");
  return v->number();
}

Result<std::string> Json::GetString(const std::string& key, const std::string& where) const {
  const Json* v = Find(key);
  if (!v || !v->is_string()) return InvalidArgument(where + ": \"" + key + "\" must be a string");
  return v->string();
}

Result<const Json*> Json::GetArray(const std::string& key, const std::string& where) const {
  const Json* v = Find(key);
  if (!v || !v->is_array()) return InvalidArgument(where + ": \"" + key + "\" must be an array");
  return v;
}

Result<const Json*> Json::GetObject(const std::string& key, const std::string& where) const {
  const Json* v = Find(key);
  if (!v || !v->is_object()) return InvalidArgument(where + ": \"" + key + "\" must be an object");
  return v;
}

}  // namespace sl
