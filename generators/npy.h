// NumPy .npy files (docs/formats.md, ".npy"): a writer for little-endian int32 arrays (layer dumps) and a
// reader of the integer and float arrays a scenario's input files hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnnvp {

// A shape as NumPy writes it: "(3, 16, 16, 3)", "(5,)", "()".
std::string npy_shape_text(const std::vector<std::int64_t>& shape);

// The file of one of layer `index`'s dumps (vp_gen --dump-layers, docs/formats.md): "NNN_<name>_<what>.npy",
// NNN the index zero-padded to at least 3 digits.
std::string layer_dump_file(std::size_t index, const std::string& name, const std::string& what);

void write_npy_int32(const std::string& path, const std::vector<std::int32_t>& data,
                     const std::vector<std::int64_t>& shape);

// What a .npy header announces.
struct NpyHeader {
  std::string dtype;  // NumPy's name: int8 .. int64, uint8 .. uint64, float32, float64
  bool is_float = false;
  std::vector<std::int64_t> shape;
  std::string shape_text() const { return npy_shape_text(shape); }
};

// An array as read: C order, every element widened (integers exactly, float32 to double exactly).
struct NpyArray : NpyHeader {
  std::vector<std::int64_t> ints;  // integer dtypes
  std::vector<double> reals;       // float dtypes
  std::size_t size() const { return is_float ? reals.size() : ints.size(); }
};

// Parses the bytes of a .npy file (format versions 1.0, 2.0 and 3.0; dtypes i1..i8, u1..u8, f4, f8 in
// either byte order). Throws dnnvp::Error "SOURCE: what is wrong" for anything else: a bad magic or
// header, Fortran order, another dtype, a uint64 above INT64_MAX, a size that is not the shape's.
NpyArray parse_npy(const std::string& bytes, const std::string& source);
// parse_npy() of a file's content; a file that cannot be read is an error naming it.
NpyArray read_npy(const std::string& path);
// A file's header alone, for callers that need only the shape: reads the header bytes, not the data, and
// throws the errors read_npy() would, except those of element values (a uint64 above INT64_MAX); the
// data's size is checked against the shape from the file's size.
NpyHeader read_npy_shape(const std::string& path);

}  // namespace dnnvp
