#include "engine_blob.h"

#include "error.h"
#include "pack.h"

namespace dnnvp {

namespace {

void append_le32(std::vector<std::uint8_t>& out, std::int32_t v) {
  for (int b = 0; b < 4; ++b)
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> (8 * b)));
}

// Pads `bytes` with zeros to `size` (whole stream beats) and appends it to the blob.
void append_padded(std::vector<std::uint8_t>& blob, std::vector<std::uint8_t> bytes, std::uint64_t size) {
  bytes.resize(size, 0);
  blob.insert(blob.end(), bytes.begin(), bytes.end());
}

}  // namespace

std::vector<std::uint8_t> engine_blob(const Layer& l, const LayerParams& p, const EngineConfig& c, int fold) {
  for (std::int32_t zp : p.weight_zero_points)
    if (zp != 0) throw Error("layer '" + l.name + "': the engine has no weight zero points");
  const EngineGeometry g = engine_geometry(l, c, fold);
  const int cin = l.input_shapes.at(0).c;
  const int cout = l.output_shape.c;
  const int cin_g = cin / l.groups;
  const int cout_g = cout / l.groups;
  const int lanes = block_lanes(g, c);
  std::vector<std::uint8_t> blob;
  blob.reserve(g.blob_bytes);
  for (int cb = 0; cb < g.blocks; ++cb) {
    // Column col feeds output lane col % Cv; lanes beyond Cv and channels beyond Cout are zero in every
    // field.
    auto channel = [&](int col) { return cb * lanes + col % lanes; };
    auto real = [&](int col) { return col < lanes && channel(col) < cout; };
    std::vector<std::uint8_t> params;
    for (int col = 0; col < c.cols; ++col)
      append_le32(params, real(col) && !p.bias.empty() ? p.bias[channel(col)] : 0);
    for (int col = 0; col < c.cols; ++col)
      append_le32(params, real(col) ? p.requant[channel(col)].multiplier : 0);
    for (int col = 0; col < c.cols; ++col)
      params.push_back(static_cast<std::uint8_t>(real(col) ? p.requant[channel(col)].shift : 0));
    append_padded(blob, std::move(params), g.params_block_bytes);

    if (g.op == EngineOp::Depthwise) {
      // Sweep s: PE (r, col) holds tap s * Rows + r of channel col (one weight per tap, OHWI with one
      // input channel).
      const int taps = l.kernel_h * l.kernel_w;
      for (std::int64_t sweep = 0; sweep < g.passes; ++sweep) {
        std::vector<std::int32_t> block(static_cast<size_t>(c.rows) * c.cols, 0);
        for (int r = 0; r < c.rows; ++r)
          for (int col = 0; col < lanes; ++col) {
            const std::int64_t tap = sweep * c.rows + r;
            if (tap < taps && channel(col) < cout)
              block[static_cast<size_t>(r) * c.cols + col] =
                  p.weights[static_cast<size_t>(channel(col) * std::int64_t{taps} + tap)];
          }
        append_padded(blob, pack(block, c.weight_bits), g.weight_block_bytes);
      }
      continue;
    }
    const PassChunks walk = pass_chunks(g, cb);
    for (int ky = 0; ky < l.kernel_h; ++ky)
      for (int kx = 0; kx < l.kernel_w; ++kx)
        for (int chunk = walk.first; chunk < walk.first + walk.count; chunk += g.fold) {
          std::vector<std::int32_t> block(static_cast<size_t>(c.rows) * c.cols, 0);  // w[r][c], r-major
          for (int r = 0; r < c.rows; ++r)
            for (int col = 0; col < c.cols; ++col) {
              const int ci = (chunk + col / lanes) * c.rows + r;  // column group col / Cv takes the next word
              if (ci >= cin || channel(col) >= cout) continue;
              // Grouped: block-diagonal, input channel ci feeds only its own group's filters.
              const int group = channel(col) / cout_g;
              if (ci / cin_g != group) continue;
              const size_t ohwi =
                  ((static_cast<size_t>(channel(col)) * l.kernel_h + ky) * l.kernel_w + kx) * cin_g +
                  (ci - group * cin_g);
              block[static_cast<size_t>(r) * c.cols + col] = p.weights[ohwi];
            }
          append_padded(blob, pack(block, c.weight_bits), g.weight_block_bytes);
        }
  }
  return blob;
}

}  // namespace dnnvp
