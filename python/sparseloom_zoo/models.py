"""Base models of the bundled pools.

All three are small (about 100k parameters) so the whole zoo trains on two CPU cores. Every model
exposes `fold_batchnorm()`, which folds each BatchNorm into the conv before it (the conv gains a
bias, the BN becomes Identity); pruning and fine-tuning happen on the folded model so the zeros
written to ONNX are exact. Linear layers on token sequences run on 2-D [rows, features] views so
every weight exports as a Gemm with transB=1: every prunable ONNX weight has layout
[out, in * kh * kw] after flattening.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

# Debian's torch uses the reference BLAS, so matmul/addmm are ~10x slower than oneDNN convs. For
# training and evaluation every matrix product runs as an (equivalent) oneDNN convolution; under
# `export_mode()` the ONNX-friendly form (Gemm / MatMul) is traced instead. Same weights, same math.
_EXPORTING = [False]


class export_mode:
    """Context manager: trace the ONNX form (Gemm, MatMul) instead of the conv-based fast path."""

    def __enter__(self):
        _EXPORTING[0] = True

    def __exit__(self, *exc):
        _EXPORTING[0] = False


def linear2d(x, weight, bias):
    """y = x @ weight.T + bias for x [R, in]; a Gemm in ONNX, a 1x1 conv when training."""
    if _EXPORTING[0]:
        return F.linear(x, weight, bias)
    # dilation=2 changes nothing for a 1-wide kernel but keeps torch on oneDNN when single-threaded
    # (torch 1.13 picks its slow native conv for undilated 1x1 kernels at batch < 16, 1 thread).
    return F.conv1d(x.t().unsqueeze(0), weight.unsqueeze(-1), bias, dilation=2).squeeze(0).t()


def bmm(a, b):
    """Batched a @ b for a [..., M, K], b [..., K, N]; a MatMul in ONNX, a grouped conv otherwise."""
    if _EXPORTING[0]:
        return torch.matmul(a, b)
    lead = a.shape[:-2]
    m, k = a.shape[-2:]
    n = b.shape[-1]
    g = a.numel() // (m * k)
    out = F.conv1d(b.reshape(1, g * k, n), a.reshape(g * m, k, 1), groups=g, dilation=2)
    return out.reshape(*lead, m, n)


def _fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                      conv.padding, conv.dilation, conv.groups, bias=True)
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.data = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.data = (bias - bn.running_mean) * scale + bn.bias.detach()
    return fused


class ConvBN(nn.Module):
    """Conv2d followed by BatchNorm2d; `fold()` turns it into a single biased Conv2d."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def fold(self):
        if isinstance(self.bn, nn.BatchNorm2d):
            self.conv = _fold_conv_bn(self.conv, self.bn)
            self.bn = nn.Identity()

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3-BN-ReLU-conv3x3-BN + shortcut (1x1 conv-BN if shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBN(cin, cout, 3, stride)
        self.conv2 = ConvBN(cout, cout, 3)
        self.shortcut = ConvBN(cin, cout, 1, stride) if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        s = self.shortcut(x) if self.shortcut is not None else x
        return F.relu(y + s)


class ResNet(nn.Module):
    """Small ResNet: stem conv (+ optional max-pool), residual stages, global average pool, linear.

    `stages` is a list of (out_channels, stride) per residual block. Block outputs are the cut
    points (ONNX tensors named /blocks/blocks.<i>/Relu_1_output_0 or similar, stable across variants).
    """

    def __init__(self, in_ch, num_classes, stem_ch, stages, stem_stride=1, stem_pool=False):
        super().__init__()
        self.stem = ConvBN(in_ch, stem_ch, 3, stem_stride)
        self.stem_pool = nn.MaxPool2d(2) if stem_pool else None
        blocks, c = [], stem_ch
        for cout, stride in stages:
            blocks.append(BasicBlock(c, cout, stride))
            c = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)

    def fold_batchnorm(self):
        for m in self.modules():
            if isinstance(m, ConvBN):
                m.fold()
        return self

    def forward(self, x):
        x = F.relu(self.stem(x))
        if self.stem_pool is not None:
            x = self.stem_pool(x)
        x = self.blocks(x)
        x = x.mean(dim=(2, 3))
        return linear2d(x, self.fc.weight, self.fc.bias)


class TokenLinear(nn.Linear):
    """nn.Linear applied to [B, T, D] through a 2-D [B*T, D] view, so ONNX gets Gemm(transB=1)."""

    def forward(self, x):
        b, t, d = x.shape
        y = linear2d(x.reshape(b * t, d), self.weight, self.bias)
        return y.reshape(b, t, self.out_features)


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer: x + MHA(LN(x)); x + MLP(LN(x)), GELU MLP."""

    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = TokenLinear(dim, 3 * dim)
        self.proj = TokenLinear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = TokenLinear(dim, mlp_dim)
        self.fc2 = TokenLinear(mlp_dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(bmm(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        y = bmm(att, v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        x = x + self.fc2(F.gelu(self.fc1(self.norm2(x))))
        return x


class ViT(nn.Module):
    """Small Vision Transformer: conv patch embedding, learned position embedding, pre-norm
    encoder layers, final LayerNorm, mean pooling over tokens, linear classifier."""

    def __init__(self, image_size, patch, in_ch, num_classes, dim, depth, heads, mlp_dim):
        super().__init__()
        self.patch_embed = nn.Conv2d(in_ch, dim, patch, patch)
        n = (image_size // patch) ** 2
        self.pos_embed = nn.Parameter(torch.randn(1, n, dim) * 0.02)
        self.layers = nn.Sequential(*[EncoderLayer(dim, heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def fold_batchnorm(self):
        return self

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed
        x = self.layers(x)
        x = self.norm(x).mean(dim=1)
        return linear2d(x, self.head.weight, self.head.bias)


def fmnist_resnet():
    return ResNet(1, 10, 16, [(16, 1), (32, 2), (32, 1), (64, 2)], stem_stride=1, stem_pool=True)


def fmnist_vit():
    return ViT(28, 4, 1, 10, dim=64, depth=3, heads=4, mlp_dim=128)


def kws_resnet(num_classes):
    return ResNet(1, num_classes, 16, [(16, 1), (32, 2), (32, 1), (64, 2)], stem_stride=2)
