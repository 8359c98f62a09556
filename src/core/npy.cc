#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace sl {

namespace {

const char* DescrOf(DType t) {
  switch (t) {
    case DType::kF32:
      return "<f4";
    case DType::kF64:
      return "<f8";
    case DType::kF16:
      return "<f2";
    case DType::kI64:
      return "<i8";
    case DType::kI32:
      return "<i4";
    case DType::kI16:
      return "<i2";
    case DType::kU16:
      return "<u2";
    case DType::kI8:
      return "|i1";
    case DType::kU8:
      return "|u1";
    case DType::kBool:
      return "|b1";
    default:
      return nullptr;
  }
}

DType DTypeOfDescr(const std::string& d) {
  for (DType t : {DType::kF32, DType::kF64, DType::kF16, DType::kI64, DType::kI32, DType::kI16,
                  DType::kU16, DType::kI8, DType::kU8, DType::kBool}) {
    std::string want = DescrOf(t);
    if (d == want || (want[0] == '|' && d.size() == 3 && d.substr(1) == want.substr(1)) ||
        (want[0] == '<' && d == "=" + want.substr(1)))
      return t;
  }
  return DType::kUndefined;
}

// Value of `key` in the header dict, as the raw text up to the next top-level comma.
std::string HeaderField(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return "";
  size_t i = colon + 1;
  while (i < header.size() && header[i] == ' ') ++i;
  if (i < header.size() && header[i] == '(') {
    size_t close = header.find(')', i);
    return close == std::string::npos ? "" : header.substr(i, close - i + 1);
  }
  size_t end = header.find_first_of(",}", i);
  return header.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

}  // namespace

Result<Tensor> ReadNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound(path + ": cannot open .npy file");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return InvalidArgument(path + ": not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint8_t b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) return InvalidArgument(path + ": truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    uint8_t b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) return InvalidArgument(path + ": truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  } else {
    return InvalidArgument(path + ": unsupported .npy version " + std::to_string(magic[6]));
  }
  if (header_len > (1u << 20)) return InvalidArgument(path + ": .npy header too large");
  std::string header(header_len, '\0');
  if (!f.read(header.data(), header_len)) return InvalidArgument(path + ": truncated header");
  std::string descr = HeaderField(header, "descr");
  if (descr.size() >= 2) descr = descr.substr(1, descr.size() - 2);  // strip quotes
  DType dtype = DTypeOfDescr(descr);
  if (dtype == DType::kUndefined) return Unsupported(path + ": unsupported dtype '" + descr + "'");
  if (HeaderField(header, "fortran_order").find("True") != std::string::npos)
    return Unsupported(path + ": Fortran-order arrays are not supported");
  std::string shape_text = HeaderField(header, "shape");
  if (shape_text.empty() || shape_text[0] != '(')
    return InvalidArgument(path + ": bad shape field");
  Shape shape;
  std::stringstream ss(shape_text.substr(1, shape_text.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    char* endp = nullptr;
    long long d = std::strtoll(item.c_str() + b, &endp, 10);
    if (endp == item.c_str() + b) return InvalidArgument(path + ": bad shape field " + shape_text);
    shape.push_back(d);
  }
  SL_RETURN_IF_ERROR(CheckShape(shape, dtype, path));
  Tensor t(dtype, shape);
  if (t.bytes() && !f.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.bytes())))
    return InvalidArgument(path + ": data shorter than shape " + ShapeToString(shape) + " needs");
  return t;
}

Status WriteNpy(const std::string& path, const Tensor& tensor) {
  const char* descr = DescrOf(tensor.dtype());
  if (!descr)
    return Unsupported(path + ": cannot write dtype " + std::string(DTypeName(tensor.dtype())));
  std::string shape = "(";
  for (int64_t d : tensor.shape()) shape += std::to_string(d) + ",";
  if (tensor.rank() > 1) shape.pop_back();
  shape += ")";
  std::string header =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) return NotFound(path + ": cannot create file");
  uint16_t len = static_cast<uint16_t>(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.put(static_cast<char>(len & 0xff));
  f.put(static_cast<char>(len >> 8));
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.bytes()));
  if (!f) return Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace sl
