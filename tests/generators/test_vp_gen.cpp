// vp_gen end to end: every artefact is written, consistent with the golden model, deterministic,
// and bad input fails with a clear message and a non-zero exit.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "emit.h"
#include "engine_model.h"
#include "engine_plan.h"
#include "error.h"
#include "layout.h"
#include "pack.h"
#include "scenario.h"
#include "stem.h"
#include "synthesize.h"
#include "version.h"

using namespace dnnvp;
namespace fs = std::filesystem;

namespace {

const std::string kSource = DNNVP_SOURCE_DIR;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("dnnvp_test_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path write_scenario(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("dnnvp_" + name + "_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_CASE("vp_gen writes every artefact, consistent with the golden model", "[vp_gen]") {
  const fs::path out = fresh_dir("tiny");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/tiny_cnn.yaml -q --dump-layers -o " +
              out.string()) == 0);
  for (const char* f : {"hw.json", "params.svh", "config.tcl", "model.h", "weights.bin", "input.bin",
                        "expected.bin", "manifest.json"}) {
    INFO(f);
    CHECK(fs::file_size(out / f) > 0);
  }
  const auto manifest = nlohmann::json::parse(std::ifstream(out / "manifest.json"));
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  const SynthesizedModel m = synthesize(s);
  REQUIRE(manifest["layers"].size() == s.network.layers.size());
  CHECK(manifest["totals"]["macs"] == s.network.macs());
  CHECK(manifest["totals"]["params"] == s.network.param_count());

  // expected.bin and input.bin hold the golden model's data, packed (the input as the engine reads it).
  const NetworkPlan plan = plan_network(s);
  const auto expected = read_bytes(out / "expected.bin");
  CHECK(unpack(expected, m.outputs.back().shape.elements(), m.model.params.back().out.type) ==
        m.outputs.back().data);
  const Tensor input = engine_input(m.input, m.model, plan);
  CHECK(unpack(read_bytes(out / "input.bin"), input.shape.elements(), m.model.input.type) == input.data);

  // weights.bin holds each layer's engine blob where the manifest says: streamed through the engine
  // model with the layer's packed input, it gives the golden output.
  const auto weights = read_bytes(out / "weights.bin");
  CHECK(weights.size() == manifest["totals"]["weights_bytes"].get<size_t>());
  CHECK(manifest["format_version"] == 2);
  const MemoryLayout layout = plan_layout(s);
  const EngineConfig engine = engine_config(s.hardware, s.quant);
  for (size_t i = 0; i < s.network.layers.size(); ++i) {
    const Layer& l = s.network.layers[i];
    if (!l.has_weights()) continue;
    INFO(l.name);
    const auto& blob_json = manifest["layers"][i]["blob"];
    const auto offset = blob_json["offset"].get<size_t>();
    const auto bytes = blob_json["bytes"].get<size_t>();
    CHECK(offset % 64 == 0);
    const Layer& e = plan.layers[i]->engine_layer(l);
    CHECK(bytes == plan.layers[i]->geometry.blob_bytes);
    CHECK(blob_json["addr"] == layout.weights_file.addr + offset);
    const std::vector<std::uint8_t> blob(weights.begin() + static_cast<long>(offset),
                                         weights.begin() + static_cast<long>(offset + bytes));
    const LayerParams& p = m.model.params[i];
    const int producer = l.input_ids[0];
    const TensorQuant& in_q = m.model.quant_of(producer);
    const std::vector<std::uint8_t> packed_input =
        producer < 0 ? read_bytes(out / "input.bin")
                     : pack(m.outputs[static_cast<size_t>(producer)].data, in_q.type.bits);
    const std::vector<std::uint8_t> engine_out =
        run_engine_layer(e, *plan.layers[i], engine,
                         {in_q.type, in_q.zero_point, p.out.type, p.out.zero_point, p.rounding, std::nullopt},
                         blob, packed_input)
            .output;
    CHECK(unpack(engine_out, l.output_shape.elements(), p.out.type) == m.outputs[i].data);

    const auto& engine_json = manifest["layers"][i]["engine"];
    CHECK(engine_json["tile_pixels"] == plan.layers[i]->tile_pixels);
    CHECK(engine_json["tiles"] == plan.layers[i]->tiles.size());
    CHECK(engine_json["issue_cycles"] == plan.layers[i]->issue_cycles);
    CHECK(engine_json["dram_bytes"]["weights"] == plan.layers[i]->dram.weights);
  }
  CHECK(manifest["totals"]["engine"]["issue_cycles"] == plan.issue_cycles);

  // Per-layer dumps: NumPy header and the layer's output.
  const fs::path npy = out / "layers" / "011_fc_output.npy";
  const auto npy_bytes = read_bytes(npy);
  REQUIRE(npy_bytes.size() == 128 + 4 * 10);
  CHECK(std::string(npy_bytes.begin() + 1, npy_bytes.begin() + 6) == "NUMPY");
  CHECK(std::string(npy_bytes.begin() + 10, npy_bytes.begin() + 128).find("'shape': (1, 1, 10)") !=
        std::string::npos);
  for (int k = 0; k < 10; ++k) {
    std::int32_t v = 0;
    std::memcpy(&v, &npy_bytes[128 + 4 * k], 4);
    CHECK(v == m.outputs.back().data[k]);
  }
  CHECK(fs::exists(out / "layers" / "000_conv1_weights.npy"));
  CHECK(fs::exists(out / "layers" / "004_res1.add_add.npy"));
}

TEST_CASE("model.h compiles as C11 for the host and for the RV32 firmware target", "[vp_gen]") {
  const fs::path out = fresh_dir("modelh");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/tiny_cnn.yaml -q -o " + out.string()) ==
          0);
  const fs::path src = out / "use_model.c";
  std::ofstream(src) << "#include \"model.h\"\nunsigned count(void) { return dnnvp_layers[DNNVP_NUM_LAYERS - "
                        "1].out_shape.c; }\n";
  const std::string flags = " -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I" + kSource +
                            "/firmware/abi -I" + out.string() + " " + src.string();
  CHECK(run("cc" + flags) == 0);
  CHECK(run("riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -ffreestanding" + flags) == 0);
}

TEST_CASE("model.h's layer table holds the blob and engine plan of the manifest", "[vp_gen]") {
  const fs::path out = fresh_dir("modelh_fields");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/tiny_cnn.yaml -q -o " + out.string()) ==
          0);
  // A host program prints the fields as the C compiler placed them, one layer per line.
  std::ofstream(out / "print_model.c") << R"(#include <stdio.h>
#include "model.h"
int main(void) {
  for (unsigned i = 0; i < DNNVP_NUM_LAYERS; ++i) {
    const dnnvp_layer_t *l = &dnnvp_layers[i];
    printf("%s %lu %lu %lu %lu %lu %lu %lu %lu %llu\n", l->name, (unsigned long)l->out_addr,
           (unsigned long)l->blob_addr, (unsigned long)l->blob_bytes, (unsigned long)l->tile_pixels,
           (unsigned long)l->num_tiles, (unsigned long)l->chunks, (unsigned long)l->blocks,
           (unsigned long)l->passes, (unsigned long long)l->macs);
  }
  return 0;
}
)";
  REQUIRE(run("cc -std=c11 -Wall -Wextra -Werror -I" + kSource + "/firmware/abi -I" + out.string() + " " +
              (out / "print_model.c").string() + " -o " + (out / "print_model").string()) == 0);
  REQUIRE(run((out / "print_model").string() + " > " + (out / "fields.txt").string()) == 0);
  const auto manifest = nlohmann::json::parse(std::ifstream(out / "manifest.json"));
  std::ifstream fields(out / "fields.txt");
  for (const auto& layer : manifest["layers"]) {
    std::string name;
    std::uint64_t out_addr = 0, blob_addr = 0, blob_bytes = 0, tile_pixels = 0, tiles = 0, chunks = 0,
                  blocks = 0, passes = 0, macs = 0;
    fields >> name >> out_addr >> blob_addr >> blob_bytes >> tile_pixels >> tiles >> chunks >> blocks >>
        passes >> macs;
    INFO(name);
    CHECK(name == layer["name"]);
    CHECK(out_addr == layer["output"]["addr"]);
    CHECK(macs == layer["macs"]);
    if (layer.contains("engine")) {  // Conv/Dense, and pools on the engine (no blob)
      CHECK(blob_addr == (layer.contains("blob") ? layer["blob"]["addr"].get<std::uint64_t>() : 0));
      CHECK(blob_bytes == (layer.contains("blob") ? layer["blob"]["bytes"].get<std::uint64_t>() : 0));
      CHECK(tile_pixels == layer["engine"]["tile_pixels"]);
      CHECK(tiles == layer["engine"]["tiles"]);
      CHECK(chunks == layer["engine"]["chunks"]);
      CHECK(blocks == layer["engine"]["blocks"]);
      CHECK(passes == layer["engine"]["passes"]);
    } else {
      CHECK(blob_addr + blob_bytes + tile_pixels + tiles + chunks + blocks + passes == 0);
    }
  }
}

TEST_CASE("with mapping on, model.h rows run pools on the engine and fuse a residual add and a clip",
          "[vp_gen]") {
  const fs::path scenario = write_scenario("fused", R"(name: fused
input: {shape: [8, 8, 8]}
network:
  layers:
    - {name: stem, type: conv, filters: 8, kernel: 3, padding: 1, activation: relu}
    - {name: stem.clip, type: clip, min: 0.05, max: 6}
    - {name: pool, type: maxpool, kernel: 2}
    - {name: c1, type: conv, filters: 8, kernel: 1}
    - {name: res, type: add, inputs: [pool, c1]}
    - {name: gap, type: avgpool, global: true}
    - {name: fc, type: dense, units: 4}
mapping: {engine_pools: true, fuse: true}
)");
  const fs::path out = fresh_dir("fused");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + scenario.string() + " -q -o " + out.string()) == 0);
  std::ofstream(out / "print_model.c") << R"(#include <stdio.h>
#include "model.h"
int main(void) {
  for (unsigned i = 0; i < DNNVP_NUM_LAYERS; ++i) {
    const dnnvp_layer_t *l = &dnnvp_layers[i];
    printf("%d %d %d %d %lu %lu %lu %lu %d %lu\n", l->engine_op, l->clip, l->fused_add, l->fused_into,
           (unsigned long)l->out_addr, (unsigned long)l->in_addr[0], (unsigned long)l->res_addr,
           (unsigned long)l->tile_pixels, l->pool_count, (unsigned long)l->blob_bytes);
  }
  return 0;
}
)";
  REQUIRE(run("cc -std=c11 -Wall -Wextra -Werror -I" + kSource + "/firmware/abi -I" + out.string() + " " +
              (out / "print_model.c").string() + " -o " + (out / "print_model").string()) == 0);
  REQUIRE(run((out / "print_model").string() + " > " + (out / "fields.txt").string()) == 0);
  struct Row {
    int op, clip, fused_add, fused_into;
    unsigned long out_addr, in_addr, res_addr, tile_pixels;
    int pool_count;
    unsigned long blob_bytes;
  };
  std::vector<Row> rows;
  std::ifstream fields(out / "fields.txt");
  for (Row r{}; fields >> r.op >> r.clip >> r.fused_add >> r.fused_into >> r.out_addr >> r.in_addr >>
                r.res_addr >> r.tile_pixels >> r.pool_count >> r.blob_bytes;)
    rows.push_back(r);
  REQUIRE(rows.size() == 7);
  enum { stem, stem_clip, pool, c1, res, gap, fc };
  CHECK(rows[stem].clip == 1);  // the clip's positive lower limit
  CHECK(rows[stem_clip].fused_into == stem);
  CHECK(rows[stem].out_addr == rows[stem_clip].out_addr);
  CHECK(rows[pool].op == 1);
  CHECK(rows[pool].tile_pixels > 0);
  CHECK(rows[pool].blob_bytes == 0);
  CHECK(rows[pool].in_addr == rows[stem_clip].out_addr);
  CHECK(rows[c1].fused_add == res);  // the later producer of the add
  CHECK(rows[res].fused_into == c1);
  CHECK(rows[c1].out_addr == rows[res].out_addr);
  CHECK(rows[c1].res_addr == rows[pool].out_addr);  // operand b
  CHECK(rows[gap].op == 2);
  CHECK(rows[gap].pool_count == 16);
  CHECK(rows[fc].fused_into == -1);
  for (const int plain : {pool, gap, fc}) CHECK(rows[static_cast<size_t>(plain)].fused_add == -1);
}

TEST_CASE("the golden model reproduces the calibration run exactly, layer by layer", "[vp_gen]") {
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  const SynthesizedModel m = synthesize(s);
  const std::vector<Tensor> rerun = run_network(m.model, m.input);
  REQUIRE(rerun.size() == m.outputs.size());
  for (size_t i = 0; i < rerun.size(); ++i) {
    INFO(s.network.layers[i].name);
    CHECK(rerun[i].data == m.outputs[i].data);
  }
}

TEST_CASE("generation is deterministic for a seed and changes with it", "[vp_gen]") {
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  const SynthesizedModel a = synthesize(s);
  const SynthesizedModel b = synthesize(s);
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    CHECK(a.outputs[i].data == b.outputs[i].data);
    CHECK(a.model.params[i].weights == b.model.params[i].weights);
  }
  Scenario other = s;
  other.quant.weight_seed = 2;
  CHECK(synthesize(other).model.params[0].weights != a.model.params[0].weights);
}

TEST_CASE("calibration keeps activations in range without mostly saturating", "[vp_gen]") {
  const Scenario s = load_scenario(kSource + "/scenarios/tiny_cnn.yaml");
  const SynthesizedModel m = synthesize(s);
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    INFO(s.network.layers[i].name);
    CHECK(m.stats[i].saturation_rate() < 0.01);
    const auto& out = m.outputs[i].data;
    const QuantType t = m.model.params[i].out.type;
    const std::int32_t peak = *std::max_element(out.begin(), out.end());
    CHECK(peak > t.max() / 4);  // uses its range
  }
}

TEST_CASE("4-bit scenarios pack two values per byte", "[vp_gen]") {
  const fs::path scenario = write_scenario(
      "tiny4", "network: {zoo: tiny_cnn}\nquantization: {activation_bits: 4, weight_bits: 4}\n");
  const fs::path out = fresh_dir("tiny4");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + scenario.string() + " -q -o " + out.string()) == 0);
  CHECK(fs::file_size(out / "expected.bin") == 5);
  CHECK(fs::file_size(out / "input.bin") == 16 * 16 * 9 / 2);  // the kx-im2col stem's X' (3x3 on 3 channels)
  const Scenario s = load_scenario(scenario.string());
  const SynthesizedModel m = synthesize(s);
  for (const auto& p : m.model.params) {
    CHECK(p.out.type.bits == 4);
    for (std::int32_t w : p.weights) CHECK((w >= -7 && w <= 7));
  }
}

TEST_CASE("power-of-two requantisation uses multiplier 1 and a shift", "[vp_gen]") {
  const fs::path scenario =
      write_scenario("pow2", "network: {zoo: tiny_cnn}\nquantization: {requant: power_of_two}\n");
  const SynthesizedModel m = synthesize(load_scenario(scenario.string()));
  for (const auto& p : m.model.params)
    for (const Requant& rq : p.requant) CHECK(rq.multiplier == 1);
  CHECK(run_network(m.model, m.input).back().data == m.outputs.back().data);
}

TEST_CASE("a too narrow accumulator or too small DRAM is named in the error", "[vp_gen]") {
  const fs::path narrow =
      write_scenario("narrow", "network: {zoo: tiny_cnn}\nhardware: {accumulator_bits: 16}\n");
  CHECK_THROWS_WITH(synthesize(load_scenario(narrow.string())),
                    Catch::Contains("hardware.accumulator_bits: layer 'conv1' can need"));
  const fs::path small =
      write_scenario("small_dram",
                     "network:\n  layers:\n    - {name: wide, type: conv, filters: 64, kernel: 1}\n"
                     "input: {shape: [512, 512, 3]}\ndram: {size_mib: 16, firmware_mib: 1}\n");
  const Scenario s = load_scenario(small.string());
  CHECK_THROWS_WITH(plan_layout(s), Catch::Contains("dram.size_mib: the model needs 34 MiB"));
}

namespace {

// vp_gen's error after "vp_gen: error: SCENARIO" for a scenario it must refuse with status 2 before
// writing anything.
std::string refusal(const std::string& name, const std::string& text) {
  const fs::path bad = write_scenario(name, text);
  const fs::path out = fresh_dir(name);
  const fs::path log =
      fs::temp_directory_path() / ("dnnvp_" + name + "_" + std::to_string(getpid()) + ".txt");
  CHECK(run(std::string(DNNVP_VP_GEN) + " " + bad.string() + " -o " + out.string() + " 2>" + log.string()) ==
        2);
  CHECK(!fs::exists(out));
  std::ifstream in(log);
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string prefix = "vp_gen: error: " + bad.string();
  REQUIRE(err.rfind(prefix, 0) == 0);
  return err.substr(prefix.size());
}

}  // namespace

TEST_CASE("vp_gen stops at a buffer too small for a layer before synthesising or writing", "[vp_gen]") {
  CHECK(refusal("small_buffer", "network: {zoo: vgg16}\nhardware: {input_buffer_kib: 64}\n") ==
        ": hardware.input_buffer_kib: layer 'features.2' needs a band of 3 rows x 224 x 64 = 43008 "
        "values; the input buffer half holds 32768\n");
}

TEST_CASE("vp_gen refuses a depthwise conv the array cannot place before synthesising or writing",
          "[vp_gen]") {
  CHECK(refusal("depthwise", "network: {zoo: mobilenet_v2}\nhardware: {rows: 8, cols: 12}\n") ==
        ": layer 'features.1.dw' (groups: 32, 32 -> 32 channels) does not fit the 8x12 array: a grouped conv "
        "runs on the engine only when every block of cols output channels holds whole groups and needs whole "
        "input chunks of rows channels, cb * step .. cb * step + count - 1 for block cb (depthwise: cols a "
        "multiple of rows); block 0 needs input channels 0..11, its passes would walk channels 0..15\n");
}

TEST_CASE("vp_gen exits non-zero on a bad scenario and leaves existing output alone", "[vp_gen]") {
  const fs::path bad = write_scenario("bad_cli", "network: {zoo: tiny_cnn}\nhardware: {rows: 0}\n");
  const fs::path out = fresh_dir("bad");
  fs::create_directories(out);
  std::ofstream(out / "manifest.json") << "previous";
  const fs::path log = out / "stderr.txt";
  CHECK(run(std::string(DNNVP_VP_GEN) + " " + bad.string() + " -o " + out.string() + " 2>" + log.string()) ==
        2);
  std::ifstream in(log);
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(err.find(bad.string() + ":2: hardware.rows: must be 1..256, got 0") != std::string::npos);
  std::ifstream kept(out / "manifest.json");
  std::string previous;
  kept >> previous;
  CHECK(previous == "previous");
  CHECK(run(std::string(DNNVP_VP_GEN) + " 2>/dev/null") == 2);
  CHECK(run(std::string(DNNVP_VP_GEN) + " --help >/dev/null") == 0);
}

TEST_CASE("a residual add may read the network input", "[vp_gen]") {
  for (const char* inputs : {"[c, input]", "[input, c]", "[input, input]"}) {
    INFO(inputs);
    const fs::path scenario =
        write_scenario("add_input", std::string("input: {shape: [4, 4, 3]}\nnetwork:\n  layers:\n"
                                                "    - {name: c, type: conv, filters: 3, kernel: 1}\n"
                                                "    - {name: s, type: add, inputs: ") +
                                        inputs + "}\n");
    const Scenario s = load_scenario(scenario.string());
    const SynthesizedModel m = synthesize(s);
    const Layer& add_layer = s.network.layers[1];
    auto operand = [&](size_t k) -> const Tensor& {
      return add_layer.input_ids[k] < 0 ? m.input : m.outputs[static_cast<size_t>(add_layer.input_ids[k])];
    };
    CHECK(m.outputs[1].data == add(add_layer, operand(0), m.model.quant_of(add_layer.input_ids[0]),
                                   operand(1), m.model.quant_of(add_layer.input_ids[1]), m.model.params[1])
                                   .data);
    CHECK(run_network(m.model, m.input).back().data == m.outputs.back().data);
    const fs::path out = fresh_dir("add_input");
    REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + scenario.string() + " -q -o " + out.string()) == 0);
    CHECK(unpack(read_bytes(out / "expected.bin"), 48, m.model.params[1].out.type) == m.outputs[1].data);
  }
}

namespace {

std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("vp_gen replaces its own output directory whole, stale layer dumps and reports included",
          "[vp_gen]") {
  const fs::path out = fresh_dir("replace");
  const std::string vp_gen = std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/jettagger.yaml -q -o ";
  REQUIRE(run(vp_gen + out.string() + " --dump-layers") == 0);
  CHECK(fs::exists(out / "layers" / "000_fc1_output.npy"));
  std::ofstream(out / "report.json") << "{\"status\": \"pass\"}";  // as a run of vp_run leaves it
  REQUIRE(run(vp_gen + out.string()) == 0);
  CHECK(entries(out) == std::set<std::string>{".vp_gen_output", "address_map.json", "asic", "config.tcl",
                                              "expected.bin", "hw.json", "input.bin", "manifest.json", "model.h",
                                              "params.svh", "vivado.tcl", "weights.bin"});
  // Nothing is left beside it.
  for (const auto& e : fs::directory_iterator(out.parent_path()))
    CHECK(e.path().filename().string().rfind("." + out.filename().string() + ".vp_gen", 0) != 0);
}

TEST_CASE("a new output directory gets the mode of any new directory, not a temporary one's", "[vp_gen]") {
  const fs::path out = fresh_dir("mode");
  const mode_t old_umask = ::umask(022);
  const int status =
      run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/jettagger.yaml -q -o " + out.string());
  ::umask(old_umask);
  REQUIRE(status == 0);
  CHECK((fs::status(out).permissions() & fs::perms::all) == static_cast<fs::perms>(0755));
}

TEST_CASE("vp_gen into a directory it did not make replaces only its own files", "[vp_gen]") {
  const fs::path out = fresh_dir("foreign");
  fs::create_directories(out / "layers");
  std::ofstream(out / "notes.txt") << "mine";
  std::ofstream(out / "layers" / "999_stale_output.npy") << "stale";
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/jettagger.yaml -q -o " +
              out.string()) == 0);
  CHECK(fs::exists(out / "notes.txt"));
  CHECK(fs::exists(out / "manifest.json"));
  CHECK(!fs::exists(out / "layers"));
  CHECK(!fs::exists(out / ".vp_gen_output"));  // so a later run still only replaces its own files
}

TEST_CASE("vp_gen writes nothing when generation fails", "[vp_gen]") {
  // A non-UTF-8 name used to fail half-way, leaving a partial directory.
  const fs::path bad = write_scenario("bad_name", "name: \"x\\xFFy\"\nnetwork: {zoo: jettagger}\n");
  const fs::path out = fresh_dir("bad_name");
  CHECK(run(std::string(DNNVP_VP_GEN) + " " + bad.string() + " -q -o " + out.string() + " 2>/dev/null") == 2);
  CHECK(!fs::exists(out));
  // The output path itself is checked before anything is made.
  const fs::path file = write_scenario("not_a_dir", "");
  CHECK(run(std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/jettagger.yaml -q -o " + file.string() +
            " 2>/dev/null") == 2);
  CHECK(fs::is_regular_file(file));
}

TEST_CASE("names that could inject into Tcl, SystemVerilog or C are refused by the writer too", "[vp_gen]") {
  Scenario s = load_scenario(kSource + "/scenarios/jettagger.yaml");
  const fs::path out = fresh_dir("inject");
  for (const std::string name : {"x\nexec touch pwned\n#", "a*/ int x; /*", "../../escaped", ""}) {
    INFO(name);
    Scenario named = s;
    named.name = name;
    CHECK_THROWS_WITH(generate(named, out.string(), {}), Catch::Contains("scenario name must be"));
    Scenario layer = s;
    layer.network.layers[0].name = name;
    CHECK_THROWS_WITH(generate(layer, out.string(), {}), Catch::Contains("layer name must be"));
    CHECK(!fs::exists(out));
  }
}

TEST_CASE("vp_gen and engine_plan print their version", "[vp_gen]") {
  const fs::path log = fs::temp_directory_path() / ("dnnvp_version_" + std::to_string(getpid()) + ".txt");
  for (const std::string& tool : {std::string(DNNVP_VP_GEN), std::string(DNNVP_ENGINE_PLAN)}) {
    INFO(tool);
    REQUIRE(run(tool + " --version > " + log.string()) == 0);
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == version_line(fs::path(tool).filename().string()) + "\n");
  }
}

TEST_CASE("engine_plan reads its command line with options and flags a model the DRAM cannot hold",
          "[engine_plan]") {
  const std::string plan = DNNVP_ENGINE_PLAN;
  CHECK(run(plan + " --help > /dev/null") == 0);
  CHECK(run(plan + " --no-such-option 2>/dev/null") == 2);
  CHECK(run(plan + " --dram-options row_step,bogus " + kSource + "/scenarios/tiny_cnn.yaml 2>/dev/null") == 2);
  CHECK(run(plan + " 2>/dev/null") == 2);
  const fs::path big =
      write_scenario("plan_small_dram",
                     "network:\n  layers:\n    - {name: wide, type: conv, filters: 64, kernel: 1}\n"
                     "input: {shape: [512, 512, 3]}\ndram: {size_mib: 16, firmware_mib: 1}\n");
  const fs::path log = fs::temp_directory_path() / ("dnnvp_plan_" + std::to_string(getpid()) + ".txt");
  CHECK(run(plan + " " + big.string() + " > /dev/null 2> " + log.string()) == 2);
  std::ifstream in(log);
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(err ==
        "engine_plan: error: " + big.string() +
            ": dram.size_mib: the model needs 34 MiB of DRAM (firmware reservation included), got 16\n");
}

TEST_CASE("engine_plan lists pools on the engine and names the add or clip a layer runs", "[engine_plan]") {
  const fs::path scenario = write_scenario("plan_fused",
                                           "network: {zoo: tiny_cnn}\nhardware: {rows: 4, cols: 8}\n"
                                           "mapping: {engine_pools: true, fuse: true}\n");
  const fs::path log = fs::temp_directory_path() / ("dnnvp_plan_fused_" + std::to_string(getpid()) + ".txt");
  REQUIRE(run(std::string(DNNVP_ENGINE_PLAN) + " " + scenario.string() + " > " + log.string()) == 0);
  std::ifstream in(log);
  std::map<std::string, std::string> tail;  // a layer's line after its name
  for (std::string line; std::getline(in, line);)
    if (const auto space = line.find(' '); space != std::string::npos) tail[line.substr(0, space)] = line;
  CHECK(tail["res1.conv2"].find("x  + res1.add") != std::string::npos);
  CHECK(tail["shortcut"].find("x  + add2") != std::string::npos);
  CHECK(tail["conv3"].find('+') == std::string::npos);
  CHECK(tail.count("pool") == 1);
  CHECK(tail.count("avgpool") == 1);
  CHECK(tail.count("res1.add") == 0);  // not a layer of its own on the engine
}

TEST_CASE("vp_gen through a symbolic link replaces the directory it points to and keeps the link",
          "[vp_gen]") {
  const fs::path real = fresh_dir("link_target");
  const fs::path link = fresh_dir("link");
  const std::string vp_gen = std::string(DNNVP_VP_GEN) + " " + kSource + "/scenarios/jettagger.yaml -q -o ";
  REQUIRE(run(vp_gen + real.string()) == 0);
  fs::create_directory_symlink(real, link);
  std::ofstream(real / "report.json") << "{}";
  REQUIRE(run(vp_gen + link.string()) == 0);
  CHECK(fs::is_symlink(link));
  CHECK(fs::exists(real / "manifest.json"));
  CHECK(!fs::exists(real / "report.json"));
  fs::remove(link);
}

TEST_CASE("a scenario path that is not UTF-8 is written into manifest.json with replacement characters",
          "[vp_gen]") {
  const fs::path scenario =
      fs::temp_directory_path() / ("dnnvp_latin1_\xE9_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(scenario) << "name: latin1\nnetwork: {zoo: jettagger}\n";
  const fs::path out = fresh_dir("latin1");
  REQUIRE(run(std::string(DNNVP_VP_GEN) + " '" + scenario.string() + "' -q -o " + out.string()) == 0);
  const auto manifest = nlohmann::json::parse(std::ifstream(out / "manifest.json"));
  CHECK(manifest["scenario"]["file"].get<std::string>().find("dnnvp_latin1_\xEF\xBF\xBD_") !=
        std::string::npos);
}
