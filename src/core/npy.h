// NumPy .npy files (format versions 1.0-3.0, little-endian, C order) to and from Tensors.
#pragma once

#include <string>

#include "core/tensor.h"

namespace sl {

// Fails with a message naming the file on a missing file, bad magic, unsupported dtype,
// Fortran order, or a payload shorter than the header says.
Result<Tensor> ReadNpy(const std::string& path);
Status WriteNpy(const std::string& path, const Tensor& tensor);

}  // namespace sl
