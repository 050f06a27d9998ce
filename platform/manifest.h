// manifest.json (vp_gen's description of an output directory, docs/formats.md) as the platform reads it:
// one reader that checks every key the platform uses for presence and type before anything runs, and the
// files it names for their size. Errors are dnnvp::Error naming the file and the key:
//
//   out/tiny_cnn/manifest.json: dram_image[0].bytes: expected an unsigned integer, got "13184"
//   out/tiny_cnn/weights.bin: 4096 bytes, but manifest.json files."weights.bin" says 13184 (re-run vp_gen)
//
// No SystemC: the library dnnvp_manifest is also what the manifest fuzz target links.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dnnvp {

struct ManifestBlock {
  std::string file;  // a plain file name in the manifest's directory
  std::uint64_t addr = 0, bytes = 0;
};

struct Manifest {
  std::string source;  // the file it came from (or the name given with the text), for messages
  // The whole document, every key the platform reads checked (report.json is built from it).
  nlohmann::json json;
  std::vector<ManifestBlock> dram_image;  // files copied into DRAM before the run
  ManifestBlock expected;                 // dram_image's expected.bin
  std::uint64_t result_addr = 0, result_bytes = 0, result_elements = 0;
  int output_bits = 8;
  bool output_signed = false;
};

// Parses and checks manifest text; `source` names it in errors.
Manifest parse_manifest(const std::string& text, const std::string& source);
// Reads and checks DIR/manifest.json, then every file it lists in `files` (present, a regular file, the
// size the manifest gives).
Manifest read_manifest_dir(const std::string& dir);

}  // namespace dnnvp
