#include "image_batch.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "npy.h"

namespace dnnvp {

namespace {

// One image's dimensions in the file's layout, and whether that layout is CHW.
struct FileLayout {
  std::vector<std::int64_t> dims;
  bool chw = false;
};

FileLayout file_layout(const Scenario& s) {
  const Shape& in = s.network.input_shape;
  const bool chw = s.input.file_chw;
  return {chw ? std::vector<std::int64_t>{in.c, in.h, in.w} : std::vector<std::int64_t>{in.h, in.w, in.c},
          chw};
}

// The number of images in an array of `shape` (0 if the shape is not one or a batch of the network's input).
std::size_t images_in(const std::vector<std::int64_t>& shape, const Scenario& s) {
  const FileLayout l = file_layout(s);
  const Shape& in = s.network.input_shape;
  std::vector<std::vector<std::int64_t>> singles = {l.dims};
  if (in.h == 1 && in.w == 1) singles.push_back({in.c});
  for (const auto& one : singles) {
    if (shape == one) return 1;
    if (shape.size() == one.size() + 1 && std::equal(one.begin(), one.end(), shape.begin() + 1))
      return static_cast<std::size_t>(shape[0]);
  }
  return 0;
}

std::size_t checked_count(const NpyHeader& a, const Scenario& s) {
  if (const std::size_t n = images_in(a.shape, s); n > 0) return n;
  const FileLayout l = file_layout(s);
  if (!a.shape.empty() && a.shape[0] == 0)
    throw Error(s.input.file + ": shape " + a.shape_text() + " holds no image");
  const std::string one = npy_shape_text(l.dims);
  const Shape& in = s.network.input_shape;
  const std::string c = std::to_string(in.c);
  throw Error(s.input.file + ": shape " + a.shape_text() + " is neither the network's input " +
              (l.chw ? "(C, H, W)" : "(H, W, C)") + " = " + one + " nor a batch (N, " + one.substr(1) +
              (in.h == 1 && in.w == 1 ? " (nor (" + c + ",) or (N, " + c + "))" : ""));
}

std::string type_text(QuantType t) {
  return std::to_string(t.bits) + "-bit " + (t.is_signed ? "signed" : "unsigned") + " (" +
         std::to_string(t.min()) + ".." + std::to_string(t.max()) + ")";
}

// Labels or reference classes: each in 0..classes-1.
void check_classes(const std::vector<std::int64_t>& v, std::int64_t classes, const std::string& file) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || v[i] >= classes)
      throw Error(file + ": element " + std::to_string(i) + " is class " + std::to_string(v[i]) +
                  ", the network's output has classes 0.." + std::to_string(classes - 1));
}

// Labels and references hold one row per image of input.file (n of them); a run of input.count images uses
// the first `used` rows.
std::vector<std::int64_t> read_labels(const std::string& file, std::size_t n, std::size_t used,
                                      std::int64_t classes) {
  const NpyArray a = read_npy(file);
  if (a.is_float) throw Error(file + ": labels must be integers, got " + a.dtype);
  if (a.shape != std::vector<std::int64_t>{static_cast<std::int64_t>(n)})
    throw Error(file + ": shape " + a.shape_text() + ", expected (" + std::to_string(n) +
                ",): one label per image");
  check_classes(a.ints, classes, file);
  return {a.ints.begin(), a.ints.begin() + static_cast<std::ptrdiff_t>(used)};
}

// input.reference: [N] classes (integers) or [N, classes] logits (their argmax, the first of equal ones).
std::vector<std::int64_t> read_reference(const std::string& file, std::size_t n, std::size_t used,
                                         std::int64_t classes) {
  const NpyArray a = read_npy(file);
  const auto rows = static_cast<std::int64_t>(n);
  if (a.shape == std::vector<std::int64_t>{rows}) {
    if (a.is_float)
      throw Error(file + ": a (N,) reference holds classes, which must be integers, got " + a.dtype);
    check_classes(a.ints, classes, file);
    return {a.ints.begin(), a.ints.begin() + static_cast<std::ptrdiff_t>(used)};
  }
  if (a.shape != std::vector<std::int64_t>{rows, classes})
    throw Error(file + ": shape " + a.shape_text() + ", expected (" + std::to_string(n) + ",) classes or (" +
                std::to_string(n) + ", " + std::to_string(classes) + ") logits: one row per image");
  std::vector<std::int64_t> out;
  for (std::int64_t r = 0; r < static_cast<std::int64_t>(used); ++r) {
    std::int64_t best = 0;
    for (std::int64_t k = 1; k < classes; ++k) {
      const auto at = static_cast<std::size_t>(r * classes);
      const bool greater =
          a.is_float ? a.reals[at + k] > a.reals[at + best] : a.ints[at + k] > a.ints[at + best];
      if (greater) best = k;
    }
    out.push_back(best);
  }
  return out;
}

}  // namespace

std::size_t image_count(const Scenario& s) {
  if (s.input.file.empty()) return 1;
  return s.input.count > 0 ? s.input.count : checked_count(read_npy_shape(s.input.file), s);
}

std::vector<Tensor> read_images(const Scenario& s, const TensorQuant& q) {
  const NpyArray a = read_npy(s.input.file);
  const std::size_t in_file = checked_count(a, s);
  const std::size_t n = s.input.count > 0 ? std::min(s.input.count, in_file) : in_file;
  const Shape shape = s.network.input_shape;
  const bool chw = file_layout(s).chw;
  const auto per_image = static_cast<std::size_t>(shape.elements());
  std::vector<Tensor> images;
  for (std::size_t i = 0; i < n; ++i) {
    Tensor t(shape);
    for (std::size_t k = 0; k < per_image; ++k) {
      const std::size_t at = i * per_image + k;
      std::int64_t v = 0;
      if (a.is_float) {
        const double x = a.reals[at];
        if (!std::isfinite(x))
          throw Error(s.input.file + ": element " + std::to_string(at) + " is not a finite number");
        // nearbyint rounds ties to even in the default rounding mode (ONNX's QuantizeLinear).
        v = saturate(
            static_cast<std::int64_t>(std::nearbyint(std::clamp(x / q.scale, -1e18, 1e18))) + q.zero_point,
            q.type);
      } else {
        v = a.ints[at];
        if (v < q.type.min() || v > q.type.max())
          throw Error(s.input.file + ": element " + std::to_string(at) + " is " + std::to_string(v) +
                      ", outside the network input's type " + type_text(q.type) +
                      " (integer files hold stored values)");
      }
      // k in the file's order: CHW for ONNX, else the engine's own HWC.
      const int c = chw ? static_cast<int>(k / (shape.h * shape.w)) : static_cast<int>(k % shape.c);
      const int y = chw ? static_cast<int>(k / shape.w % shape.h) : static_cast<int>(k / (shape.w * shape.c));
      const int x = chw ? static_cast<int>(k % shape.w) : static_cast<int>(k / shape.c % shape.w);
      t.at(y, x, c) = static_cast<std::int32_t>(v);
    }
    images.push_back(std::move(t));
  }
  return images;
}

ImageBatch run_batch(const Scenario& s, const QuantizedModel& m, std::vector<Tensor> images,
                     Tensor first_output) {
  ImageBatch b;
  b.images = std::move(images);
  b.outputs.push_back(std::move(first_output));
  for (std::size_t i = 1; i < b.images.size(); ++i) b.outputs.push_back(run_network(m, b.images[i]).back());
  for (const Tensor& out : b.outputs) b.golden.push_back(predicted_class(out));
  const std::int64_t classes = m.network.layers.back().output_shape.elements();
  if (s.input.labels.empty() && s.input.reference.empty()) return b;
  const std::size_t in_file = checked_count(read_npy_shape(s.input.file), s);
  if (!s.input.labels.empty()) b.labels = read_labels(s.input.labels, in_file, b.images.size(), classes);
  if (!s.input.reference.empty())
    b.reference = read_reference(s.input.reference, in_file, b.images.size(), classes);
  return b;
}

std::int64_t predicted_class(const Tensor& output) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < output.data.size(); ++k)
    if (output.data[k] > output.data[best]) best = k;
  return static_cast<std::int64_t>(best);
}

}  // namespace dnnvp
