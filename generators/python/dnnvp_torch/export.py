"""export(): the trained model as an integer model (checked against the float fake quantisation), an
ONNX file (QDQ for 8-bit models, QONNX Quant nodes for narrower ones), a scenario and its input files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

from . import integer, onnx_writer
from .blocks import (Add, AvgPool, Conv2D, Dense, Flatten, Input, LeakyReLU, MaxPool, QTensor, ReLU,
                     Recording, activation_name)
from .integer import ExportError, IntegerModel, Layer, TensorQuant

NAME_RULE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Agreement:
    """How a layer's integer output compares with the fake-quantised float one, in steps of its grid."""

    elements: int
    mismatches: int
    max_steps: int


@dataclass
class ExportResult:
    model: IntegerModel
    outputs: Dict[str, np.ndarray]  # every layer's integers for the batch ("input": the quantised input)
    agreement: Dict[str, Agreement] = field(default_factory=dict)
    files: Dict[str, str] = field(default_factory=dict)  # role -> path

    @property
    def output(self) -> np.ndarray:
        return self.outputs[self.model.layers[-1].name]


def _layer(name: str, block: nn.Module, inputs: List[str], out: TensorQuant) -> Layer:
    act = getattr(block, "act", None)
    layer = Layer(name=name, kind="", inputs=inputs, out=out, activation=activation_name(act),
                  leaky_shift=act.shift if isinstance(act, LeakyReLU) else 0)
    if isinstance(block, (Conv2D, Dense)):
        layer.kind = "conv" if isinstance(block, Conv2D) else "dense"
        q, scales = block.quantized_weight()
        layer.weights = q.numpy().astype(np.int64)
        layer.weight_scales = scales.numpy().astype(np.float32)
        layer.weight_bits = block.qconfig.weight_bits
        if isinstance(block, Conv2D):
            layer.kernel = (block.weight.shape[2], block.weight.shape[3])
            layer.stride = block.stride
            layer.pads = (block.padding[0], block.padding[1]) * 2
    elif isinstance(block, (MaxPool, AvgPool)):
        layer.kind = "maxpool" if isinstance(block, MaxPool) else "avgpool"
        layer.global_pool = bool(getattr(block, "global_pool", False))
        layer.kernel, layer.stride = block.kernel, block.stride
        layer.pads = (block.padding[0], block.padding[1]) * 2
    elif isinstance(block, Flatten):
        layer.kind = "flatten"
    elif isinstance(block, Add):
        layer.kind = "add"
    elif isinstance(block, ReLU):
        layer.kind = "relu"
    else:
        raise ExportError(f"block '{name}': {type(block).__name__} cannot be exported")
    return layer


def trace(model: nn.Module, images: torch.Tensor) -> Tuple[IntegerModel, Dict[str, torch.Tensor]]:
    """Runs the model once on `images` in eval mode (its mode is restored after), records its blocks and
    builds the integer model. Returns it with every layer's fake-quantised output (key "input": the
    quantised input)."""
    names = {id(m): n for n, m in model.named_modules()}
    training = model.training
    model.eval()
    try:
        with torch.no_grad(), Recording() as calls:
            result = model(images)
    finally:
        model.train(training)
    if not calls or not isinstance(calls[0][0], Input):
        raise ExportError("the model's forward() must start with an Input block")
    if not isinstance(result, QTensor) or result is not calls[-1][2]:
        raise ExportError("forward() must return the QTensor of the last block it calls")
    tensor_names: Dict[int, str] = {}
    fake: Dict[str, torch.Tensor] = {}
    layers: List[Layer] = []
    seen = set()
    for block, inputs, out in calls:
        name = names.get(id(block), "")
        what = f"{type(block).__name__} '{name}'"
        if id(block) in seen:
            raise ExportError(f"{what} is called twice: give each use its own block")
        seen.add(id(block))
        if isinstance(block, Input):
            if layers or tensor_names:
                raise ExportError(f"{what}: the model may have one Input block, called first")
            tensor_names[id(out)] = "input"
            fake["input"] = out.value
            continue
        if not NAME_RULE.match(name) or name == "input":
            raise ExportError(f"{what}: module name must be 1..64 characters of A-Z a-z 0-9 _ . - not"
                              " starting with . or - (and not 'input')")
        missing = [i for i, t in enumerate(inputs) if id(t) not in tensor_names]
        if missing:
            raise ExportError(f"{what}: input {missing[0]} was not made by a block of this forward pass")
        layers.append(_layer(name, block, [tensor_names[id(t)] for t in inputs], out.quant))
        tensor_names[id(out)] = name
        fake[name] = out.value
    first = calls[0][2]
    model_ir = IntegerModel(first.quant, tuple(images.shape[1:]), layers)
    for layer, (block, inputs, _) in zip(layers, calls[1:]):
        if isinstance(block, (Conv2D, Dense)):
            layer.bias = block.quantized_bias(inputs[0].quant.scale).numpy().astype(np.int64)
    integer.prepare(model_ir)
    return model_ir, fake


def compare(model: IntegerModel, outputs: Dict[str, np.ndarray],
            fake: Mapping[str, torch.Tensor]) -> Dict[str, Agreement]:
    """Every layer's integer output against the fake-quantised values on its grid."""
    quants = dict([("input", model.input_quant)] + [(l.name, l.out) for l in model.layers])
    result = {}
    for name, t in quants.items():
        grid = np.round(fake[name].detach().to(torch.float64).numpy() / float(t.scale)) + t.zero_point
        diff = np.abs(grid.astype(np.int64) - outputs[name])
        result[name] = Agreement(int(diff.size), int(np.count_nonzero(diff)), int(diff.max(initial=0)))
    return result


def _yaml_scalar(v: Union[int, float, str, bool]) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def scenario_text(name: str, onnx_file: str, hardware: Mapping[str, Union[int, float, str]],
                  input_files: Mapping[str, str], description: str) -> str:
    lines = ["# Written by dnnvp_torch.export() (docs/frontend.md).", f"name: {name}"]
    if description:
        lines.append(f"description: {_yaml_scalar(description)}")
    lines += ["network:", f"  onnx: {onnx_file}"]
    if input_files:
        lines.append("input:")
        lines += [f"  {k}: {v}" for k, v in input_files.items()]
    if hardware:
        lines.append("hardware:")
        lines += [f"  {k}: {_yaml_scalar(v)}" for k, v in hardware.items()]
    return "\n".join(lines) + "\n"


def export(model: nn.Module, hardware: Mapping[str, Union[int, float, str]], out_dir: str,
           images: torch.Tensor, labels: Optional[np.ndarray] = None, name: str = "model",
           form: str = "auto", description: str = "", write_inputs: bool = True,
           dump_layers: bool = False, scenario: Optional[str] = None) -> ExportResult:
    """Writes OUT_DIR/{name}.onnx, the scenario `scenario` (default OUT_DIR/{name}.yaml; network.onnx,
    the given hardware section, the input files, relative to the scenario's directory) and, with
    `write_inputs`, OUT_DIR/images.npy (float32 NCHW), OUT_DIR/{name}_reference.npy (the float model's
    predicted classes) and OUT_DIR/labels.npy when given. Runs the integer inference on `images` and
    returns every layer's integers and their agreement with the fake quantisation; `dump_layers` also
    writes them as OUT_DIR/integer/NNN_<layer>.npy (int32). `form`: "qdq" (8-bit only), "qonnx" or
    "auto" (QDQ when every width is 8)."""
    if not NAME_RULE.match(name):
        raise ExportError(f"name '{name}' must be 1..64 characters of A-Z a-z 0-9 _ . -")
    images = torch.as_tensor(images)
    model_ir, fake = trace(model, images)
    outputs = integer.run(model_ir, images.detach().to(torch.float64).numpy())
    result = ExportResult(model_ir, outputs, compare(model_ir, outputs, fake))
    os.makedirs(out_dir, exist_ok=True)

    widths = {model_ir.input_quant.bits} | {l.out.bits for l in model_ir.layers} | {
        l.weight_bits for l in model_ir.layers if l.weights is not None}
    if form == "auto":
        form = "qdq" if widths == {8} else "qonnx"
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    onnx_writer.write(model_ir, onnx_path, form, name, result.output.shape[1:])
    result.files["onnx"] = onnx_path

    if write_inputs:
        images_np = images.detach().to(torch.float32).numpy()
        reference = fake[model_ir.layers[-1].name].detach().to(torch.float64).numpy()
        arrays = {"file": ("images.npy", images_np),
                  "reference": (f"{name}_reference.npy", reference.reshape(len(images_np), -1).argmax(axis=1))}
        if labels is not None:
            arrays["labels"] = ("labels.npy", np.asarray(labels, dtype=np.int64))
        for key in ("file", "labels", "reference"):
            if key in arrays:
                file_name, array = arrays[key]
                result.files[key] = os.path.join(out_dir, file_name)
                np.save(result.files[key], array)
    scenario = scenario or os.path.join(out_dir, f"{name}.yaml")
    base = os.path.dirname(os.path.abspath(scenario))
    relative = {k: os.path.relpath(os.path.abspath(result.files[k]), base) for k in result.files}
    with open(scenario, "w", encoding="utf-8") as f:
        f.write(scenario_text(name, relative["onnx"], hardware,
                              {k: relative[k] for k in ("file", "labels", "reference") if k in relative},
                              description))
    result.files["scenario"] = scenario

    if dump_layers:
        layer_dir = os.path.join(out_dir, "integer")
        os.makedirs(layer_dir, exist_ok=True)
        for i, layer in enumerate(model_ir.layers):
            np.save(os.path.join(layer_dir, f"{i:03d}_{layer.name}.npy"),
                    outputs[layer.name].astype(np.int32))
    return result

