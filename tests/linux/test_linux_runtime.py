"""The Linux runtime library (firmware/linux) and its ctypes wrapper on the host, with plain files standing in
for /dev/mem and a u-dma-buf device: the registers and the DMA buffer are mapped at the right offsets, the
model's files land at their addresses, the runtime's register accesses reach the right words, and every
misconfiguration is a clear error.

    test_linux_runtime.py MODEL_DIR   (a vp_gen output directory with linux/libdnnvp_model.so built for the host)
"""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
import sys
import tempfile
import unittest
from pathlib import Path

MODEL_DIR = Path(sys.argv.pop(1)) if len(sys.argv) > 1 else Path()
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "firmware" / "linux"))
import dnnvp  # noqa: E402  (the wrapper under test, found through the path above)

# The memory map's engine and DMA0 addresses, as the generated header has them.
ENGINE_BASE = 0x43C00000
DMA0_BASE = 0x40400000
ENGINE_ID = 0x444E4E45
BUFFER_PHYS = 0x50000000


def model_defines() -> dict[str, int]:
    text = (MODEL_DIR / "model.h").read_text()
    return {m[1]: int(m[2], 0) for m in re.finditer(r"#define (DNNVP_\w+) (0x[0-9A-Fa-f]+|\d+)u", text)}


class FakeMemory:
    """A sparse file addressed like /dev/mem."""

    def __init__(self, directory: str, size: int) -> None:
        self.path = Path(directory) / "mem"
        with open(self.path, "wb") as f:
            f.truncate(size)

    def word(self, addr: int) -> int:
        with open(self.path, "rb") as f:
            f.seek(addr)
            return struct.unpack("<I", f.read(4))[0]

    def set_word(self, addr: int, value: int) -> None:
        with open(self.path, "r+b") as f:
            f.seek(addr)
            f.write(struct.pack("<I", value))

    def read(self, addr: int, size: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(addr)
            return f.read(size)


class LinuxRuntimeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.mem = FakeMemory(self.tmp.name, BUFFER_PHYS + (64 << 20))
        self.defines = model_defines()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def open(self, **kwargs: object) -> dnnvp.Accelerator:
        args: dict[str, object] = {"mem_device": str(self.mem.path), "buffer_phys": BUFFER_PHYS,
                                   "poll_budget": 100}
        args.update(kwargs)
        return dnnvp.Accelerator(MODEL_DIR, **args)  # type: ignore[arg-type]

    def test_the_model_info_is_model_h(self) -> None:
        with self.open() as acc:
            d = self.defines
            self.assertEqual(acc.info.weights_addr, d["DNNVP_WEIGHTS_ADDR"])
            self.assertEqual(acc.info.input_bytes, d["DNNVP_INPUT_BYTES"])
            self.assertEqual(acc.info.output_addr, d["DNNVP_OUTPUT_ADDR"])
            self.assertEqual(acc.info.expected_addr, d["DNNVP_EXPECTED_ADDR"])
            self.assertEqual(acc.info.num_layers, d["DNNVP_NUM_LAYERS"])
            self.assertGreater(acc.info.buffer_bytes, acc.info.window_end - acc.info.window_base)

    def test_weights_and_expected_output_land_in_the_buffer_at_their_model_offsets(self) -> None:
        with self.open() as acc:
            base = acc.info.window_base
            weights = (MODEL_DIR / "weights.bin").read_bytes()[: acc.info.weights_bytes]
            self.assertEqual(self.mem.read(BUFFER_PHYS + acc.info.weights_addr - base, len(weights)), weights)
            expected = (MODEL_DIR / "expected.bin").read_bytes()[: acc.info.output_bytes]
            self.assertEqual(self.mem.read(BUFFER_PHYS + acc.info.expected_addr - base, len(expected)), expected)

    def test_a_run_without_an_engine_ends_with_no_engine_and_reads_the_id_register(self) -> None:
        with self.open() as acc:
            result = acc.run()
            self.assertFalse(result.ok)
            self.assertEqual(result.status_text, "no engine")
            self.assertEqual(result.error_what, "engine")
            # The input went to its address before the run.
            image = (MODEL_DIR / "input.bin").read_bytes()[: acc.info.input_bytes]
            self.assertEqual(self.mem.read(BUFFER_PHYS + acc.info.input_addr - acc.info.window_base, len(image)),
                             image)

    def test_the_runtime_resets_dma0_through_its_mapped_dmacr_and_times_out_when_it_never_clears(self) -> None:
        self.mem.set_word(ENGINE_BASE, ENGINE_ID)
        with self.open() as acc:
            result = acc.run()
            self.assertEqual(result.status_text, "timeout")
            self.assertEqual(result.error_what, "band/output DMA reset")
        self.assertEqual(self.mem.word(DMA0_BASE), 1 << 2)  # DMACR.Reset, written through the mapping

    def test_a_buffer_smaller_than_the_model_needs_is_refused_with_the_size_it_needs(self) -> None:
        with self.assertRaisesRegex(dnnvp.AcceleratorError, r"buffer: 4096 bytes, model '\w+' needs \d+"):
            self.open(buffer_bytes=4096)
        with self.open() as acc:  # nothing stayed open
            self.assertTrue(acc.info.name)

    def test_a_missing_device_is_named(self) -> None:
        with self.assertRaisesRegex(dnnvp.AcceleratorError, r"engine: cannot open /nonexistent/mem"):
            self.open(mem_device="/nonexistent/mem")

    def test_an_unaligned_buffer_is_refused(self) -> None:
        with self.assertRaisesRegex(dnnvp.AcceleratorError, "not 64-byte aligned"):
            self.open(buffer_phys=BUFFER_PHYS + 8)

    def test_one_accelerator_per_process(self) -> None:
        with self.open():
            with self.assertRaisesRegex(dnnvp.AcceleratorError, "already open"):
                self.open()

    def test_an_image_of_the_wrong_size_is_refused(self) -> None:
        with self.open() as acc:
            with self.assertRaisesRegex(dnnvp.AcceleratorError, "takes"):
                acc.run(b"\0")

    def test_the_registers_are_mapped_where_address_map_json_puts_them_on_the_board(self) -> None:
        moved = 0x48000000  # as a Zynq UltraScale+ window moves them (below BUFFER_PHYS, inside the file)
        model = Path(self.tmp.name) / "model"
        model.mkdir()
        for f in MODEL_DIR.iterdir():
            if f.is_file():
                (model / f.name).write_bytes(f.read_bytes())
        (model / "linux").mkdir()
        (model / "linux" / "libdnnvp_model.so").symlink_to((MODEL_DIR / "linux" / "libdnnvp_model.so").resolve())
        regions = {"engine": ENGINE_BASE, "dma0": DMA0_BASE, "dma1": DMA0_BASE + 0x10000, "dma2": DMA0_BASE + 0x20000}
        (model / "address_map.json").write_text(json.dumps(
            {"regions": {n: {"base": b - 0x40000000 + moved, "size": 4096} for n, b in regions.items()}}))
        self.mem.set_word(ENGINE_BASE - 0x40000000 + moved, ENGINE_ID)
        with dnnvp.Accelerator(model, mem_device=str(self.mem.path), buffer_phys=BUFFER_PHYS, poll_budget=100) as acc:
            self.assertEqual(acc.run().error_what, "band/output DMA reset")  # the engine was found there
        self.assertEqual(self.mem.word(DMA0_BASE - 0x40000000 + moved), 1 << 2)
        self.assertEqual(self.mem.word(DMA0_BASE), 0)  # nothing at the memory map's own address
        (model / "address_map.json").write_text("{}")
        with self.assertRaisesRegex(dnnvp.AcceleratorError, "address_map.json: not an address map"):
            dnnvp.Accelerator(model, mem_device=str(self.mem.path), buffer_phys=BUFFER_PHYS)

    def test_a_udmabuf_buffer_is_mapped_from_its_device_with_its_sysfs_address_and_size(self) -> None:
        sysfs = Path(self.tmp.name) / "sysfs" / "udmabuf0"
        sysfs.mkdir(parents=True)
        (sysfs / "phys_addr").write_text("0x3f000000\n")
        (sysfs / "size").write_text(f"{16 << 20}\n")
        dev = Path(self.tmp.name) / "udmabuf0"
        with open(dev, "wb") as f:
            f.truncate(16 << 20)
        with self.open(udmabuf=str(dev), udmabuf_sysfs=str(sysfs.parent)) as acc:
            # The device file is the buffer: the weights at their offset from the window's base.
            with open(dev, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                at = acc.info.weights_addr - acc.info.window_base
                weights = (MODEL_DIR / "weights.bin").read_bytes()[: acc.info.weights_bytes]
                self.assertEqual(m[at: at + len(weights)], weights)
        os.unlink(dev)
        with self.assertRaisesRegex(dnnvp.AcceleratorError, "phys_addr"):
            self.open(udmabuf=str(dev.with_name("udmabuf1")), udmabuf_sysfs=str(sysfs.parent))


if __name__ == "__main__":
    unittest.main(verbosity=2)
