#include "npy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "error.h"

namespace dnnvp {

namespace {
// Larger arrays are refused before their data is read (a header may announce any shape).
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
}  // namespace

std::string layer_dump_file(std::size_t index, const std::string& name, const std::string& what) {
  std::string number = std::to_string(index);
  if (number.size() < 3) number.insert(0, 3 - number.size(), '0');
  return number + "_" + name + "_" + what + ".npy";
}

std::string npy_shape_text(const std::vector<std::int64_t>& shape) {
  std::string dims;
  for (auto d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  return "(" + dims + (shape.size() == 1 ? ",)" : ")");  // a 1-tuple keeps its trailing comma: (n,)
}

void write_npy_int32(const std::string& path, const std::vector<std::int32_t>& data,
                     const std::vector<std::int64_t>& shape) {
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': " + npy_shape_text(shape) + ", }";
  // Magic (6) + version (2) + length (2) + header must be a multiple of 64, ending in '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot write");
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out << header;
  for (std::int32_t v : data) {
    const auto u = static_cast<std::uint32_t>(v);
    const char b[4] = {static_cast<char>(u & 0xFF), static_cast<char>((u >> 8) & 0xFF),
                       static_cast<char>((u >> 16) & 0xFF), static_cast<char>(u >> 24)};
    out.write(b, 4);
  }
  if (!out) throw Error(path + ": write failed");
}

namespace {

// The header's Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail("unknown header key " + quoted(key));
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    if (!have_descr || !have_order || !have_shape)
      fail("the header lacks one of 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ": not a valid .npy header: " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "' at byte " + std::to_string(pos_));
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      fail("expected a string at byte " + std::to_string(pos_));
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string s = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair<const char*, bool>{"True", true}, {"False", false}})
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    fail("expected True or False at byte " + std::to_string(pos_));
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    while (!peek(')')) {
      skip_space();
      std::int64_t v = 0;
      const std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (v > (kMaxElements - (text_[pos_] - '0')) / 10) fail("a dimension is too large");
        v = v * 10 + (text_[pos_++] - '0');
      }
      if (pos_ == start) fail("expected a dimension at byte " + std::to_string(pos_));
      dims.push_back(v);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }

  std::string text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

struct Dtype {
  const char* code;  // kind and size, as in descr after the byte-order character
  const char* name;
};
constexpr Dtype kDtypes[] = {{"i1", "int8"},    {"i2", "int16"},  {"i4", "int32"},  {"i8", "int64"},
                             {"u1", "uint8"},   {"u2", "uint16"}, {"u4", "uint32"}, {"u8", "uint64"},
                             {"f4", "float32"}, {"f8", "float64"}};

}  // namespace

namespace {

// Byte i of `bytes`, unsigned (char may be signed).
std::uint64_t byte_at(const std::string& bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

// Where a .npy file's header text and data lie: from its first bytes (`prefix`: at least 12, or the whole
// file if it is shorter) and its size, so a caller can read the header without the data.
struct NpyExtent {
  std::size_t header_begin = 0, header_len = 0, data_start = 0;
};

NpyExtent npy_extent(const std::string& prefix, std::uint64_t file_size, const std::string& source) {
  static const std::string kMagic = "\x93NUMPY";
  if (file_size < 10 || prefix.compare(0, kMagic.size(), kMagic) != 0)
    throw Error(source + ": not a .npy file (no \\x93NUMPY magic)");
  const unsigned major = static_cast<unsigned>(byte_at(prefix, 6));
  if (major < 1 || major > 3)
    throw Error(source + ": .npy format version " + std::to_string(major) + "." +
                std::to_string(byte_at(prefix, 7)) + " is not supported (1.0, 2.0, 3.0 are)");
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (file_size < 8 + len_bytes) throw Error(source + ": truncated .npy header");
  std::uint64_t header_len = 0;
  for (std::size_t k = 0; k < len_bytes; ++k) header_len |= byte_at(prefix, 8 + k) << (8 * k);
  const std::uint64_t data_start = 8 + len_bytes + header_len;
  if (header_len > file_size || data_start > file_size)
    throw Error(source + ": truncated .npy header (" + std::to_string(header_len) + " bytes announced, " +
                std::to_string(file_size - 8 - len_bytes) + " in the file)");
  return {8 + len_bytes, static_cast<std::size_t>(header_len), static_cast<std::size_t>(data_start)};
}

// The header's dtype and shape, checked, with `data_bytes` (the bytes after the header) against them.
struct NpyLayout {
  NpyHeader header;
  char kind = 'i';       // 'i', 'u' or 'f'
  std::size_t size = 1;  // bytes per element
  bool big_endian = false;
  std::int64_t count = 0;
};

NpyLayout npy_layout(const std::string& header_text, std::uint64_t data_bytes, const std::string& source) {
  std::string descr;
  bool fortran = false;
  NpyLayout l;
  HeaderParser(header_text, source).parse(descr, fortran, l.header.shape);
  if (fortran)
    throw Error(source +
                ": Fortran order (column-major) is not supported; save a C-order array "
                "(numpy.ascontiguousarray)");
  const Dtype* dtype = nullptr;
  const char order = descr.empty() ? '?' : descr[0];
  if (order == '<' || order == '>' || order == '|' || order == '=')
    for (const Dtype& d : kDtypes)
      if (descr.compare(1, std::string::npos, d.code) == 0) dtype = &d;
  if (dtype == nullptr)
    throw Error(source + ": dtype " + quoted(descr) +
                " is not supported (int8..int64, uint8..uint64, float32, float64)");
  l.header.dtype = dtype->name;
  l.kind = dtype->code[0];
  l.header.is_float = l.kind == 'f';
  l.size = static_cast<std::size_t>(dtype->code[1] - '0');
  l.big_endian = order == '>' && l.size > 1;

  l.count = 1;
  for (const std::int64_t d : l.header.shape) {
    if (d != 0 && l.count > kMaxElements / d)
      throw Error(source + ": shape " + l.header.shape_text() + " is too large");
    l.count *= d;
  }
  const std::uint64_t want = static_cast<std::uint64_t>(l.count) * l.size;
  if (data_bytes != want)
    throw Error(source + ": shape " + l.header.shape_text() + " of " + l.header.dtype + " needs " +
                std::to_string(want) + " data bytes, the file has " + std::to_string(data_bytes) +
                (data_bytes < want ? " (truncated)" : ""));
  return l;
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& source) {
  const NpyExtent e = npy_extent(bytes, bytes.size(), source);
  const NpyLayout l =
      npy_layout(bytes.substr(e.header_begin, e.header_len), bytes.size() - e.data_start, source);
  NpyArray a;
  static_cast<NpyHeader&>(a) = l.header;
  const std::size_t size = l.size;
  for (std::int64_t i = 0; i < l.count; ++i) {
    std::uint64_t raw = 0;
    const std::size_t at = e.data_start + static_cast<std::size_t>(i) * size;
    for (std::size_t k = 0; k < size; ++k)
      raw |= byte_at(bytes, at + k) << (8 * (l.big_endian ? size - 1 - k : k));
    const int bits = static_cast<int>(size * 8);
    if (a.is_float) {
      if (size == 4) {
        float f;
        const auto u = static_cast<std::uint32_t>(raw);
        std::memcpy(&f, &u, sizeof f);
        a.reals.push_back(f);
      } else {
        double d;
        std::memcpy(&d, &raw, sizeof d);
        a.reals.push_back(d);
      }
    } else if (l.kind == 'u') {
      if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw Error(source + ": element " + std::to_string(i) + " (" + std::to_string(raw) +
                    ") does not fit int64");
      a.ints.push_back(static_cast<std::int64_t>(raw));
    } else {
      // Two's complement of the element's width.
      std::int64_t v = 0;
      if (bits == 64)
        std::memcpy(&v, &raw, sizeof v);
      else
        v = static_cast<std::int64_t>(raw) - ((raw >> (bits - 1)) != 0 ? std::int64_t{1} << bits : 0);
      a.ints.push_back(v);
    }
  }
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw Error(path + ": read failed");
  return parse_npy(bytes.str(), path);
}

NpyHeader read_npy_shape(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot read");
  const std::streamoff end = in.tellg();
  if (end < 0) throw Error(path + ": read failed");
  const auto file_size = static_cast<std::uint64_t>(end);
  // The file's first min(n, size) bytes.
  const auto first_bytes = [&](std::uint64_t n) {
    std::string b(static_cast<std::size_t>(std::min(n, file_size)), '\0');
    in.seekg(0);
    if (!in.read(b.data(), static_cast<std::streamsize>(b.size()))) throw Error(path + ": read failed");
    return b;
  };
  const NpyExtent e = npy_extent(first_bytes(12), file_size, path);
  const std::string head = first_bytes(e.data_start);
  return npy_layout(head.substr(e.header_begin, e.header_len), file_size - e.data_start, path).header;
}

}  // namespace dnnvp
