// The kx-im2col stem end to end (docs/engine.md, "Stem"): a 7x7 stride-2 first conv on 3 channels, which
// the 4x8 array runs as a 7x1 conv on X' (21 channels in 6 words of 4 instead of 7 taps of one word),
// through vp_run on the 4x8 simulator: a batch of two images from a file at 8 bits and a signed synthetic
// image at 4 bits, every output element bit-exact, the stem's engine cycles below those of the same layer
// on the image (mapping.stem_im2col: false) and report.json naming the layout.
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "npy.h"
#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Odd sizes (X' rows of 10 x 21 values: 4-bit bands start mid-byte) and tiles of at most 16 pixels.
const char* const kStemNetwork =
    "{layers: [{name: conv1, type: conv, filters: 8, kernel: 7, stride: 2, padding: 3, bn: true, "
    "activation: relu}, {name: c2, type: conv, filters: 8, kernel: 3, padding: 1, bn: true}, "
    "{name: pool, type: avgpool, global: true}, {name: flat, type: flatten}, {name: fc, type: dense, units: "
    "5}]}";

json run_stem(const std::string& name, const std::string& input, int bits, bool stem) {
  std::ostringstream scenario;
  scenario << "name: " << name << "\nnetwork: " << kStemNetwork << "\ninput: " << input
           << "\nquantization: {activation_bits: " << bits << ", weight_bits: " << bits
           << "}\nhardware: {rows: 4, cols: 8, accumulator_depth: 16}\nmapping: {stem_im2col: "
           << (stem ? "true" : "false") << "}\n";
  return dnnvp_test::vp_run_passing(DNNVP_VP_RUN, fs::path(DNNVP_TEST_TMP) / "stem" / name, name,
                                    scenario.str());
}

const json& layer(const json& report, const std::string& name) {
  for (const json& l : report.at("layers"))
    if (l.at("name") == name) return l;
  FAIL("no layer " << name);
  return report;
}

// Runs the network on `images` images with and without the layout; both bit-exact, the stem faster on X'.
void check_stem_against_image(const std::string& name, const std::string& input, int bits, int images) {
  const json on = run_stem(name, input, bits, true);
  const json off = run_stem(name + "_off", input, bits, false);
  for (const json* r : {&on, &off}) {
    CHECK(r->at("status") == "pass");
    CHECK(r->at("bit_exact") == true);
    CHECK(r->at("output_check").at("mismatches") == 0);
    const json& conv1 = layer(*r, "conv1");
    CHECK(conv1.at("where") == "engine");
    // A batch's figures are sums over its images; X''s out-of-image columns count as the padding did.
    CHECK(conv1.at("engine_macs") == images * conv1.at("macs").get<std::uint64_t>());
    CHECK(conv1.at("tiles") == images * conv1.at("tiles_planned").get<std::uint64_t>());
  }
  const json& stem = layer(on, "conv1");
  const json& image = layer(off, "conv1");
  CHECK(stem.at("input_layout") == "kx_im2col");
  CHECK_FALSE(image.contains("input_layout"));
  CHECK(stem.at("macs") == image.at("macs"));
  INFO("stem engine cycles " << stem.at("engine_cycles") << ", on the image " << image.at("engine_cycles"));
  CHECK(stem.at("engine_cycles").get<std::uint64_t>() < image.at("engine_cycles").get<std::uint64_t>());
  CHECK(stem.at("pe_utilization").get<double>() > image.at("pe_utilization").get<double>());
  CHECK(stem.at("dram_lower_bound_bytes").get<std::uint64_t>() <
        stem.at("dram_read_bytes").get<std::uint64_t>() + stem.at("dram_write_bytes").get<std::uint64_t>());
}

}  // namespace

TEST_CASE("vp_run runs a 7x7/2 stem on a batch of images laid out kx-im2col, bit-exact and faster",
          "[vp_run][stem]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "stem";
  fs::create_directories(dir);
  const std::vector<std::int64_t> shape = {2, 19, 21, 3};
  std::vector<std::int32_t> pixels(2 * 19 * 21 * 3);
  for (std::size_t k = 0; k < pixels.size(); ++k)
    pixels[k] = static_cast<std::int32_t>((k * 53 + k / 5) % 256);
  const fs::path images = dir / "images.npy";
  dnnvp::write_npy_int32(images.string(), pixels, shape);
  check_stem_against_image("stem8", "{shape: [19, 21, 3], file: " + images.string() + "}", 8, 2);
}

TEST_CASE("vp_run runs the kx-im2col stem bit-exact on a signed 4-bit input", "[vp_run][stem]") {
  check_stem_against_image("stem4", "{shape: [19, 21, 3], signed: true, seed: 3}", 4, 1);
}
