// Scenario input files (docs/scenarios.md, "input"): the .npy reader, images quantised into the engine's
// layout, labels and reference predictions, and every mismatch named with its file.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "error.h"
#include "image_batch.h"
#include "npy.h"
#include "scenario.h"
#include "synthesize.h"

using namespace dnnvp;
namespace fs = std::filesystem;

namespace {

// A .npy file's bytes: magic, version, header length (2 bytes for 1.0, 4 for 2.0), the header padded
// to 64 bytes with '\n', then `data`.
std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data,
                      const std::string& fortran = "False", int major = 1) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  header.append((64 - (8 + len_bytes + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (std::size_t k = 0; k < len_bytes; ++k) out += static_cast<char>((header.size() >> (8 * k)) & 0xFF);
  return out + header + data;
}

// Little-endian bytes of each value, `size` bytes each.
template <class T>
std::string le(const std::vector<T>& values) {
  std::string out;
  for (T v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));  // the host (x86-64, RISC-V) is little-endian
  }
  return out;
}

std::string parse_error(const std::string& bytes) {
  try {
    parse_npy(bytes, "t.npy");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error");
  return "";
}

// A directory of its own per test case and process (ctest runs cases in parallel).
fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dnnvp_input_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A scenario in `dir` with a dense network on a [h, w, c] input and the given input keys.
Scenario scenario_with(const fs::path& dir, const std::string& input_keys,
                       const std::string& shape = "[1, 1, 6]", int units = 4) {
  const fs::path p = dir / "s.yaml";
  std::ofstream(p) << "name: s\nnetwork: {layers: [{name: f, type: flatten}, {name: fc, type: dense, units: "
                   << units << "}]}\ninput: {shape: " << shape << ", " << input_keys << "}\n";
  return load_scenario(p.string());
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("the npy reader reads every integer and float dtype", "[npy]") {
  const NpyArray i1 = parse_npy(npy_bytes("|i1", "(3,)", le<std::int8_t>({-128, 0, 127})), "t");
  CHECK(i1.dtype == "int8");
  CHECK(i1.ints == std::vector<std::int64_t>{-128, 0, 127});
  CHECK(parse_npy(npy_bytes("<i2", "(2,)", le<std::int16_t>({-32768, 32767})), "t").ints ==
        std::vector<std::int64_t>{-32768, 32767});
  CHECK(parse_npy(npy_bytes("<i4", "(2,)", le<std::int32_t>({INT32_MIN, 7})), "t").ints ==
        std::vector<std::int64_t>{INT32_MIN, 7});
  CHECK(parse_npy(npy_bytes("<i8", "(2,)", le<std::int64_t>({INT64_MIN, INT64_MAX})), "t").ints ==
        std::vector<std::int64_t>{INT64_MIN, INT64_MAX});
  CHECK(parse_npy(npy_bytes("|u1", "(2,)", le<std::uint8_t>({0, 255})), "t").ints ==
        std::vector<std::int64_t>{0, 255});
  CHECK(parse_npy(npy_bytes("<u2", "(1,)", le<std::uint16_t>({65535})), "t").ints ==
        std::vector<std::int64_t>{65535});
  CHECK(parse_npy(npy_bytes("<u4", "(1,)", le<std::uint32_t>({4294967295u})), "t").ints ==
        std::vector<std::int64_t>{4294967295LL});
  CHECK(parse_npy(npy_bytes("<u8", "(1,)", le<std::uint64_t>({1ull << 62})), "t").ints ==
        std::vector<std::int64_t>{std::int64_t{1} << 62});
  const NpyArray f4 = parse_npy(npy_bytes("<f4", "(2,)", le<float>({0.1f, -2.5f})), "t");
  CHECK(f4.dtype == "float32");
  CHECK(f4.is_float);
  CHECK(f4.reals == std::vector<double>{0.1f, -2.5});
  CHECK(parse_npy(npy_bytes("<f8", "(1,)", le<double>({0.1})), "t").reals == std::vector<double>{0.1});
  // Big-endian and native byte order.
  CHECK(parse_npy(npy_bytes(">i2", "(1,)", std::string("\x01\x02", 2)), "t").ints ==
        std::vector<std::int64_t>{0x0102});
  CHECK(parse_npy(npy_bytes("=i2", "(1,)", std::string("\x01\x02", 2)), "t").ints ==
        std::vector<std::int64_t>{0x0201});
}

TEST_CASE("the npy reader reads any shape, C order, format versions 1.0 to 3.0", "[npy]") {
  const NpyArray a = parse_npy(npy_bytes("|u1", "(2, 1, 3)", "abcdef"), "t");
  CHECK(a.shape == std::vector<std::int64_t>{2, 1, 3});
  CHECK(a.ints == std::vector<std::int64_t>{'a', 'b', 'c', 'd', 'e', 'f'});
  CHECK(a.shape_text() == "(2, 1, 3)");
  const NpyArray scalar = parse_npy(npy_bytes("|u1", "()", "x"), "t");
  CHECK(scalar.shape.empty());
  CHECK(scalar.ints == std::vector<std::int64_t>{'x'});
  const NpyArray empty = parse_npy(npy_bytes("<f4", "(0, 3)", ""), "t");
  CHECK(empty.size() == 0);
  CHECK(parse_npy(npy_bytes("|u1", "(2,)", "yz", "False", 2), "t").ints ==
        std::vector<std::int64_t>{'y', 'z'});
  CHECK(parse_npy(npy_bytes("|u1", "(1,)", "q", "False", 3), "t").shape_text() == "(1,)");
}

TEST_CASE("the npy reader names the file and what is wrong", "[npy]") {
  CHECK(parse_error("PK\x03\x04 not numpy") == "t.npy: not a .npy file (no \\x93NUMPY magic)");
  CHECK(
      parse_error(npy_bytes("|u1", "(2,)", "ab", "True")) ==
      "t.npy: Fortran order (column-major) is not supported; save a C-order array (numpy.ascontiguousarray)");
  CHECK(parse_error(npy_bytes("|b1", "(1,)", "\x01")) ==
        "t.npy: dtype '|b1' is not supported (int8..int64, uint8..uint64, float32, float64)");
  CHECK(parse_error(npy_bytes("<f2", "(1,)", "ab")).find("dtype '<f2' is not supported") !=
        std::string::npos);
  CHECK(parse_error(npy_bytes("<U3", "(1,)", std::string(12, 'a'))).find("dtype '<U3'") != std::string::npos);
  CHECK(parse_error(npy_bytes("<i4", "(2, 2)", le<std::int32_t>({1, 2, 3}))) ==
        "t.npy: shape (2, 2) of int32 needs 16 data bytes, the file has 12 (truncated)");
  CHECK(parse_error(npy_bytes("|u1", "(2,)", "abc")) ==
        "t.npy: shape (2,) of uint8 needs 2 data bytes, the file has 3");
  CHECK(parse_error(npy_bytes("<u8", "(1,)", le<std::uint64_t>({~0ull}))) ==
        "t.npy: element 0 (18446744073709551615) does not fit int64");
  const std::string whole = npy_bytes("|u1", "(2,)", "ab");
  CHECK(parse_error(whole.substr(0, 40)).find("t.npy: truncated .npy header") == 0);
  CHECK(parse_error(std::string("\x93NUMPY\x04\x00", 8) + "xx").find("format version 4.0 is not supported") !=
        std::string::npos);
  CHECK(parse_error(npy_bytes("|u1", "(2 2)", "ab")).find("t.npy: not a valid .npy header") == 0);
  CHECK(parse_error(npy_bytes("|u1", "(99999999999999999999,)", "")).find("too large") != std::string::npos);
  CHECK(parse_error(npy_bytes("|u1", "(1099511627776, 1099511627776)", "")).find("is too large") !=
        std::string::npos);
}

TEST_CASE("a missing npy file is an error naming it", "[npy]") {
  CHECK_THROWS_WITH(read_npy("/nonexistent/x.npy"), "/nonexistent/x.npy: cannot read");
}

TEST_CASE("read_npy_shape reads a file's dtype and shape from its header, with read_npy's errors", "[npy]") {
  const fs::path dir = temp_dir("npy_shape");
  const std::string f = (dir / "x.npy").string();
  write(f, npy_bytes("<i2", "(2, 3)", le<std::int16_t>({1, 2, 3, 4, 5, 6}), "False", 2));
  const NpyHeader h = read_npy_shape(f);
  CHECK(h.dtype == "int16");
  CHECK_FALSE(h.is_float);
  CHECK(h.shape == std::vector<std::int64_t>{2, 3});
  // Element values are not read: a uint64 that read_npy refuses still gives its shape.
  write(f, npy_bytes("<u8", "(1,)", le<std::uint64_t>({~0ull})));
  CHECK(read_npy_shape(f).shape == std::vector<std::int64_t>{1});
  CHECK_THROWS_WITH(read_npy(f), f + ": element 0 (18446744073709551615) does not fit int64");
  // A header alone: the shape of no elements, or the truncation read_npy names.
  write(f, npy_bytes("<f4", "(0, 6)", ""));
  CHECK(read_npy_shape(f).shape == std::vector<std::int64_t>{0, 6});
  for (const std::string& bytes :
       {npy_bytes("|u1", "(2, 3)", ""), npy_bytes("|u1", "(2, 3)", "abcdefg"),
        npy_bytes("|u1", "(2, 3)", "").substr(0, 40), npy_bytes("|u1", "(2, 3)", "").substr(0, 9),
        npy_bytes("<c8", "(1,)", "12345678"), npy_bytes("|u1", "(1,)", "a", "True"),
        std::string("\x93NUMPY\x04\x00", 8) + "xxxx"}) {
    write(f, bytes);
    CHECK_THROWS_WITH(read_npy_shape(f), error_of([&] { read_npy(f); }));
  }
  CHECK_THROWS_WITH(read_npy_shape("/nonexistent/x.npy"), "/nonexistent/x.npy: cannot read");
  // The image count reads the header alone.
  write(f, npy_bytes("<u8", "(2, 6)", le(std::vector<std::uint64_t>(12, ~0ull))));
  CHECK(image_count(scenario_with(dir, "file: x.npy")) == 2);
}

TEST_CASE("float input files are quantised with the input's scale and zero point, ties to even, saturated",
          "[input]") {
  const fs::path dir = temp_dir("float");
  write(dir / "x.npy",
        npy_bytes("<f8", "(1, 1, 7)", le<double>({0.25, 0.75, 1.25, -0.25, -1.75, 1000.0, 0.3})));
  const Scenario s = scenario_with(dir, "file: x.npy", "[1, 1, 7]");
  TensorQuant q;
  q.type = {8, false};
  q.zero_point = 3;
  q.scale = 0.5;
  const std::vector<Tensor> images = read_images(s, q);
  REQUIRE(images.size() == 1);
  // x / 0.5 = 0.5, 1.5, 2.5, -0.5, -3.5, 2000, 0.6 -> 0, 2, 2, -0, -4, 2000, 1; + 3; saturated to 0..255.
  CHECK(images[0].data == std::vector<std::int32_t>{3, 5, 5, 3, 0, 255, 4});
  // float32 files the same way (0.75f and 1.25f are exact).
  write(dir / "x.npy",
        npy_bytes("<f4", "(1, 1, 7)", le<float>({0.25f, 0.75f, 1.25f, -0.25f, -1.75f, 1000.f, 0.3f})));
  CHECK(read_images(s, q)[0].data == std::vector<std::int32_t>{3, 5, 5, 3, 0, 255, 4});
  write(dir / "x.npy", npy_bytes("<f4", "(1, 1, 7)", le<float>({0, 0, 0, 0, 0, 0, std::nanf("")})));
  CHECK(error_of([&] { read_images(s, q); }) ==
        (dir / "x.npy").string() + ": element 6 is not a finite number");
}

TEST_CASE("integer input files are stored values, each within the input type's range", "[input]") {
  const fs::path dir = temp_dir("int");
  write(dir / "x.npy",
        npy_bytes("<i2", "(2, 6)", le<std::int16_t>({-128, 127, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})));
  const Scenario s = scenario_with(dir, "file: x.npy");
  TensorQuant q;
  q.type = {8, true};
  const std::vector<Tensor> images = read_images(s, q);
  REQUIRE(images.size() == 2);
  CHECK(images[0].data == std::vector<std::int32_t>{-128, 127, 0, 1, 2, 3});
  CHECK(images[1].data == std::vector<std::int32_t>{4, 5, 6, 7, 8, 9});
  q.type = {4, false};
  CHECK(error_of([&] { read_images(s, q); }) == (dir / "x.npy").string() +
                                                    ": element 0 is -128, outside the network input's type "
                                                    "4-bit unsigned (0..15) (integer files hold stored "
                                                    "values)");
}

TEST_CASE("image files are in the model's own layout: HWC for YAML networks, CHW for ONNX models",
          "[input]") {
  const fs::path dir = temp_dir("layout");
  std::vector<std::uint8_t> values(12);
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<std::uint8_t>(k);
  TensorQuant q;
  q.type = {8, false};
  // H = 2, W = 3, C = 2.
  write(dir / "hwc.npy", npy_bytes("|u1", "(2, 3, 2)", le(values)));
  const Scenario yaml = scenario_with(dir, "file: hwc.npy", "[2, 3, 2]");
  CHECK(read_images(yaml, q)[0].data == std::vector<std::int32_t>(values.begin(), values.end()));
  write(dir / "chw.npy", npy_bytes("|u1", "(1, 2, 2, 3)", le(values)));
  Scenario onnx = scenario_with(dir, "file: chw.npy", "[2, 3, 2]");
  onnx.input.file_chw = true;  // as an ONNX model's NCHW input sets it
  const Tensor t = read_images(onnx, q)[0];
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) CHECK(t.at(y, x, c) == c * 6 + y * 3 + x);
  CHECK(error_of([&] { read_images(scenario_with(dir, "file: chw.npy", "[2, 3, 2]"), q); }) ==
        (dir / "chw.npy").string() +
            ": shape (1, 2, 2, 3) is neither the network's input (H, W, C) = (2, 3, 2) nor a batch (N, 2, 3, "
            "2)");
}

TEST_CASE("an image file's shape and count are checked against the network's input", "[input]") {
  const fs::path dir = temp_dir("shape");
  TensorQuant q;
  q.type = {8, false};
  // H = W = 1: (C,) and (N, C) too.
  write(dir / "x.npy", npy_bytes("|u1", "(3, 6)", std::string(18, '\1')));
  const Scenario s = scenario_with(dir, "file: x.npy");
  CHECK(image_count(s) == 3);
  CHECK(read_images(s, q).size() == 3);
  write(dir / "x.npy", npy_bytes("|u1", "(6,)", std::string(6, '\1')));
  CHECK(image_count(s) == 1);
  write(dir / "x.npy", npy_bytes("|u1", "(3, 5)", std::string(15, '\1')));
  CHECK(error_of([&] { image_count(s); }) == (dir / "x.npy").string() +
                                                 ": shape (3, 5) is neither the network's input (H, W, C) = "
                                                 "(1, 1, 6) nor a batch (N, 1, 1, 6) (nor (6,) or "
                                                 "(N, 6))");
  write(dir / "x.npy", npy_bytes("|u1", "(0, 6)", ""));
  CHECK(error_of([&] { image_count(s); }) == (dir / "x.npy").string() + ": shape (0, 6) holds no image");
}

TEST_CASE("labels and reference predictions: one per image, classes of the network's output", "[input]") {
  const fs::path dir = temp_dir("labels");
  write(dir / "x.npy", npy_bytes("|u1", "(2, 6)", std::string(12, '\1')));
  write(dir / "labels.npy", npy_bytes("<i8", "(2,)", le<std::int64_t>({3, 0})));
  // Logits: the first of equal maxima wins.
  write(dir / "ref.npy", npy_bytes("<f4", "(2, 4)", le<float>({0.5f, 2.f, 2.f, -1.f, 9.f, 1.f, 1.f, 9.f})));
  const Scenario s = scenario_with(dir, "file: x.npy, labels: labels.npy, reference: ref.npy");
  const SynthesizedModel m = synthesize(s);
  CHECK(m.batch.images.size() == 2);
  CHECK(m.batch.labels == std::vector<std::int64_t>{3, 0});
  CHECK(m.batch.reference == std::vector<std::int64_t>{1, 0});
  REQUIRE(m.batch.golden.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(m.batch.outputs[i].data == run_network(m.model, m.batch.images[i]).back().data);
    CHECK(m.batch.golden[i] == predicted_class(m.batch.outputs[i]));
  }
  const std::string labels = (dir / "labels.npy").string(), ref = (dir / "ref.npy").string();
  write(dir / "labels.npy", npy_bytes("<i8", "(3,)", le<std::int64_t>({3, 0, 1})));
  CHECK(error_of([&] { synthesize(s); }) == labels + ": shape (3,), expected (2,): one label per image");
  write(dir / "labels.npy", npy_bytes("<i8", "(2,)", le<std::int64_t>({4, 0})));
  CHECK(error_of([&] { synthesize(s); }) ==
        labels + ": element 0 is class 4, the network's output has classes 0..3");
  write(dir / "labels.npy", npy_bytes("<f4", "(2,)", le<float>({1, 0})));
  CHECK(error_of([&] { synthesize(s); }) == labels + ": labels must be integers, got float32");
  write(dir / "labels.npy", npy_bytes("<i8", "(2,)", le<std::int64_t>({3, 0})));
  write(dir / "ref.npy", npy_bytes("<u1", "(2,)", le<std::uint8_t>({3, 2})));
  CHECK(synthesize(s).batch.reference == std::vector<std::int64_t>{3, 2});
  write(dir / "ref.npy", npy_bytes("<f4", "(2,)", le<float>({3, 2})));
  CHECK(error_of([&] { synthesize(s); }) ==
        ref + ": a (N,) reference holds classes, which must be integers, got float32");
  write(dir / "ref.npy", npy_bytes("<f4", "(2, 5)", std::string(40, '\0')));
  CHECK(error_of([&] { synthesize(s); }) ==
        ref + ": shape (2, 5), expected (2,) classes or (2, 4) logits: one row per image");
}

TEST_CASE("the predicted class is the first of the largest output elements", "[input]") {
  Tensor t(Shape{1, 1, 5});
  t.data = {-3, 7, 2, 7, -8};
  CHECK(predicted_class(t) == 1);
  t.data = {-3, -3, -3, -3, -3};
  CHECK(predicted_class(t) == 0);
}

TEST_CASE("input file keys: paths relative to the scenario, files that exist, labels only with images",
          "[input][scenario]") {
  const fs::path dir = temp_dir("keys");
  write(dir / "x.npy", npy_bytes("|u1", "(6,)", std::string(6, '\1')));
  const Scenario s = scenario_with(dir, "file: x.npy");
  CHECK(s.input.file == (dir / "x.npy").string());
  CHECK(s.input.labels.empty());
  CHECK(error_of([&] { scenario_with(dir, "file: nope.npy"); }) ==
        (dir / "s.yaml").string() + ":3: input.file: no such file '" + (dir / "nope.npy").string() + "'");
  CHECK(error_of([&] { scenario_with(dir, "labels: x.npy"); }) ==
        (dir / "s.yaml").string() + ":3: input.labels: needs input.file, the images it describes");
  CHECK(error_of([&] { scenario_with(dir, "reference: x.npy"); }) ==
        (dir / "s.yaml").string() + ":3: input.reference: needs input.file, the images it describes");
}

TEST_CASE("without input.file the batch is the synthetic image alone", "[input]") {
  const fs::path dir = temp_dir("synthetic");
  const SynthesizedModel m = synthesize(scenario_with(dir, "seed: 3"));
  REQUIRE(m.batch.images.size() == 1);
  CHECK(m.batch.images[0].data == m.input.data);
  CHECK(m.batch.outputs[0].data == m.outputs.back().data);
  CHECK(m.batch.labels.empty());
  CHECK(m.batch.reference.empty());
}

TEST_CASE("input.count runs the first images of the file with their labels and references", "[input][scenario]") {
  const fs::path dir = temp_dir("count");
  std::string pixels;
  for (int i = 0; i < 3 * 6; ++i) pixels += static_cast<char>(i);  // three different images
  write(dir / "x.npy", npy_bytes("|u1", "(3, 6)", pixels));
  write(dir / "labels.npy", npy_bytes("<i8", "(3,)", le<std::int64_t>({3, 0, 2})));
  write(dir / "ref.npy", npy_bytes("<i8", "(3,)", le<std::int64_t>({1, 2, 3})));
  const Scenario all = scenario_with(dir, "file: x.npy, labels: labels.npy, reference: ref.npy");
  const Scenario two = scenario_with(dir, "file: x.npy, count: 2, labels: labels.npy, reference: ref.npy");
  CHECK(two.input.count == 2);
  CHECK(image_count(two) == 2);
  const SynthesizedModel m2 = synthesize(two), m3 = synthesize(all);
  REQUIRE(m2.batch.images.size() == 2);
  REQUIRE(m3.batch.images.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(m2.batch.images[i].data == m3.batch.images[i].data);
    CHECK(m2.batch.outputs[i].data == m3.batch.outputs[i].data);
  }
  CHECK(m2.batch.labels == std::vector<std::int64_t>{3, 0});
  CHECK(m2.batch.reference == std::vector<std::int64_t>{1, 2});
  const std::string yaml = (dir / "s.yaml").string();
  CHECK(error_of([&] { scenario_with(dir, "file: x.npy, count: 4"); }) ==
        yaml + ":3: input.count: must be 1..3, got 4");
  CHECK(error_of([&] { scenario_with(dir, "count: 2"); }) ==
        yaml + ":3: input.count: needs input.file, the images it describes");
}
