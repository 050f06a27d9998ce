"""Runs a vp_gen output directory on the accelerator from Python on the board (ctypes over the Linux
runtime library, firmware/linux/dnnvp_linux.h; docs/fpga.md "Linux runtime").

    acc = Accelerator("out/tiny_cnn", buffer_phys=0x70000000, buffer_bytes=64 << 20)
    result = acc.run()          # input.bin's first image, checked against expected.bin
    print(result.ok, result.output)

The library is OUT_DIR/linux/libdnnvp_model.so, built by tools/build_linux_runtime.sh for that model.
Standard library only: the board's Python needs nothing else.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
from pathlib import Path
from typing import Optional


class _Map(ctypes.Structure):
    _fields_ = [("device", ctypes.c_char_p), ("offset", ctypes.c_uint64)]


class _Config(ctypes.Structure):
    _fields_ = [
        ("engine", _Map), ("dma_x", _Map), ("dma_w", _Map), ("dma_r", _Map), ("buffer", _Map),
        ("buffer_phys", ctypes.c_uint64), ("buffer_bytes", ctypes.c_uint64), ("poll_budget", ctypes.c_uint32),
    ]


class _ModelInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p), ("num_layers", ctypes.c_uint32),
        ("weights_addr", ctypes.c_uint64), ("weights_bytes", ctypes.c_uint64),
        ("input_addr", ctypes.c_uint64), ("input_bytes", ctypes.c_uint64),
        ("output_addr", ctypes.c_uint64), ("output_bytes", ctypes.c_uint64), ("output_elements", ctypes.c_uint64),
        ("expected_addr", ctypes.c_uint64), ("window_base", ctypes.c_uint64), ("window_end", ctypes.c_uint64),
        ("buffer_bytes", ctypes.c_uint64),
    ]


class _Result(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_int32), ("status_text", ctypes.c_char_p), ("error_layer", ctypes.c_int32),
        ("error_tile", ctypes.c_uint32), ("error_what", ctypes.c_char_p), ("error_detail", ctypes.c_uint32),
        ("mismatches", ctypes.c_uint32), ("nanoseconds", ctypes.c_uint64),
    ]


class AcceleratorError(RuntimeError):
    """The library refused a call; the message is its dnnvp_linux_error()."""


@dataclasses.dataclass(frozen=True)
class RunResult:
    status: int  # dnnvp_rt_status_t, 0 = ok
    status_text: str
    error_layer: int  # -1: none
    error_tile: int
    error_what: str
    error_detail: int
    mismatches: int  # output elements that differ from expected.bin (0 when not checked)
    seconds: float
    output: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0 and self.mismatches == 0


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    name: str
    num_layers: int
    weights_addr: int
    weights_bytes: int
    input_addr: int
    input_bytes: int
    output_addr: int
    output_bytes: int
    expected_addr: int
    window_base: int
    window_end: int
    buffer_bytes: int  # the smallest DMA buffer the model runs in


class Accelerator:
    """One model's library, mapped onto the engine and DMAs (one per process: the library's HAL is global).

    The registers come from `mem_device` (/dev/mem) at the board's addresses: MODEL_DIR/address_map.json,
    which vp_gen writes for the scenario's FPGA part, else the platform's memory map. The DMA buffer is
    either a reserved-memory region (`buffer_phys`, `buffer_bytes`, through `mem_device`) or a u-dma-buf
    device (`udmabuf="/dev/udmabuf0"`, its address and size from /sys/class/u-dma-buf/udmabuf0).
    """

    def __init__(self, model_dir: str | Path, *, library: Optional[str | Path] = None, mem_device: str = "/dev/mem",
                 buffer_phys: Optional[int] = None, buffer_bytes: Optional[int] = None,
                 udmabuf: Optional[str | Path] = None, udmabuf_sysfs: str = "/sys/class/u-dma-buf",
                 poll_budget: int = 0) -> None:
        self.model_dir = Path(model_dir)
        lib_path = Path(library) if library is not None else self.model_dir / "linux" / "libdnnvp_model.so"
        if not lib_path.is_file():
            raise AcceleratorError(f"{lib_path}: no library (build it: tools/build_linux_runtime.sh {self.model_dir})")
        self._lib = ctypes.CDLL(str(lib_path))
        self._declare()
        self.info = self._model_info()
        self._device = mem_device.encode()
        cfg = _Config()
        if udmabuf is not None:
            self._lib.dnnvp_linux_config_devmem(ctypes.byref(cfg), self._device, 0, 0)
            self._udmabuf_device = str(udmabuf).encode()
            sysfs = f"{udmabuf_sysfs}/{Path(udmabuf).name}".encode()
            self._check(self._lib.dnnvp_linux_config_udmabuf(ctypes.byref(cfg), self._udmabuf_device, sysfs))
        else:
            if buffer_phys is None:
                raise AcceleratorError("no DMA buffer: give buffer_phys (a reserved-memory region) or udmabuf")
            size = buffer_bytes if buffer_bytes is not None else self.info.buffer_bytes
            self._lib.dnnvp_linux_config_devmem(ctypes.byref(cfg), self._device, buffer_phys, size)
        self._place_registers(cfg)
        cfg.poll_budget = poll_budget
        self._check(self._lib.dnnvp_linux_open(ctypes.byref(cfg)))
        self._open = True
        try:
            self._load("weights.bin", self.info.weights_addr, self.info.weights_bytes)
            self._load("expected.bin", self.info.expected_addr, self.info.output_bytes)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if getattr(self, "_open", False):
            self._lib.dnnvp_linux_close()
            self._open = False

    def __enter__(self) -> "Accelerator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, image: Optional[bytes] = None, *, check: Optional[bool] = None) -> RunResult:
        """Runs one image (default: input.bin's first) and returns the output; checks it against
        expected.bin when the image is input.bin's (or `check` says so)."""
        if image is None:
            image = self._read_file("input.bin", self.info.input_bytes)
            check = True if check is None else check
        if len(image) != self.info.input_bytes:
            raise AcceleratorError(f"image: {len(image)} bytes, model '{self.info.name}' takes {self.info.input_bytes}")
        self._check(self._lib.dnnvp_linux_write(self.info.input_addr, image, len(image)))
        result = _Result()
        self._check(self._lib.dnnvp_linux_run(1 if check else 0, ctypes.byref(result)))
        output = ctypes.create_string_buffer(self.info.output_bytes)
        self._check(self._lib.dnnvp_linux_read(self.info.output_addr, output, self.info.output_bytes))
        return RunResult(result.status, result.status_text.decode(), result.error_layer, result.error_tile,
                         result.error_what.decode(), result.error_detail, result.mismatches,
                         result.nanoseconds / 1e9, output.raw)

    def _declare(self) -> None:
        lib = self._lib
        lib.dnnvp_linux_model_info.argtypes = [ctypes.POINTER(_ModelInfo)]
        lib.dnnvp_linux_model_info.restype = None
        lib.dnnvp_linux_config_devmem.argtypes = [ctypes.POINTER(_Config), ctypes.c_char_p, ctypes.c_uint64,
                                                  ctypes.c_uint64]
        lib.dnnvp_linux_config_devmem.restype = None
        lib.dnnvp_linux_config_udmabuf.argtypes = [ctypes.POINTER(_Config), ctypes.c_char_p, ctypes.c_char_p]
        lib.dnnvp_linux_open.argtypes = [ctypes.POINTER(_Config)]
        lib.dnnvp_linux_close.restype = None
        lib.dnnvp_linux_write.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t]
        lib.dnnvp_linux_read.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t]
        lib.dnnvp_linux_run.argtypes = [ctypes.c_int, ctypes.POINTER(_Result)]
        lib.dnnvp_linux_error.restype = ctypes.c_char_p

    def _place_registers(self, cfg: _Config) -> None:
        """The engine and DMAs at their addresses on the board: vp_gen's address_map.json (the Vivado
        design's, docs/fpga.md); without it, the platform's memory map (Zynq-7000 boards use the same)."""
        path = self.model_dir / "address_map.json"
        if not path.is_file():
            return
        try:
            regions = json.loads(path.read_text())["regions"]
            for field, name in (("engine", "engine"), ("dma_x", "dma0"), ("dma_w", "dma1"), ("dma_r", "dma2")):
                getattr(cfg, field).offset = int(regions[name]["base"])
        except (ValueError, KeyError, TypeError) as e:
            raise AcceleratorError(f"{path}: not an address map vp_gen wrote ({e!r})") from e

    def _model_info(self) -> ModelInfo:
        raw = _ModelInfo()
        self._lib.dnnvp_linux_model_info(ctypes.byref(raw))
        return ModelInfo(raw.name.decode(), raw.num_layers, raw.weights_addr, raw.weights_bytes, raw.input_addr,
                         raw.input_bytes, raw.output_addr, raw.output_bytes, raw.expected_addr, raw.window_base,
                         raw.window_end, raw.buffer_bytes)

    def _check(self, rc: int) -> None:
        if rc != 0:
            raise AcceleratorError(self._lib.dnnvp_linux_error().decode())

    def _read_file(self, name: str, at_least: int) -> bytes:
        path = self.model_dir / name
        data = path.read_bytes()
        if len(data) < at_least:
            raise AcceleratorError(f"{path}: {len(data)} bytes, model '{self.info.name}' needs {at_least}")
        return data[:at_least]

    def _load(self, name: str, addr: int, size: int) -> None:
        data = self._read_file(name, size)
        self._check(self._lib.dnnvp_linux_write(addr, data, len(data)))
