#!/usr/bin/python3
"""Reference forwards and gradients of a Llama-family attention layer, float64, PyTorch autograd.

Run with an interpreter that has torch and numpy (written against Debian's python3-torch,
torch 1.13.0a0):

    /usr/bin/python3 src/test/python/make_llama_fixtures.py

It rewrites src/test/resources/dev/heed/fixtures/llama.txt and nothing else. Deterministic: each
case draws its inputs from its own NumPy generator seeded from the case name; inputs are rounded to
a few decimals (exact doubles, short text). Read by
src/test/java/dev/heed/attention/GroupedQueryAttentionFixturesTest.java.

The layer is written here after Hugging Face transformers' LlamaAttention (eager path), not from
Heed: q/k/v projections (nn.Linear layout, y = x W^T + b), the heads split as
view(B, T, H, d).transpose(1, 2), LlamaRotaryEmbedding's cos/sin (inv_freq = 1 / base^(arange(0,
rot, 2) / rot), emb = cat(freqs, freqs)) and apply_rotary_pos_emb with rotate_half, on the first
rot features only (partial rotary as GPT-NeoX/Phi: the rest pass through), repeat_kv's
expand + reshape for grouped-query heads, scores q k^T * scale, the causal mask, Mistral's sliding
window (key j visible from query i iff i - window < j <= i), key padding (batch element b sees keys
j < lengths[b]), softmax, attention @ v, heads merged, o_proj. Rows that may attend to nothing give
attention output 0 (the output is then o_proj's bias), weights 0, lse -inf and no gradient, computed
NaN-free with torch.where. Every gradient is checked by torch.autograd.gradcheck before it is
written.

Format (make_fixtures.py's): per case
    ints config: E Hq Hkv d rotary_dim (0 = no rotary) window (0 = none) start_position
    scalar base, scalar scale; ints key_padding (absent = none)
    tensor x [B, T, E]; tensors q_proj.weight, k_proj.weight, v_proj.weight, o_proj.weight and the
           biases the case has (q_proj.bias, ...), under Hugging Face's names
    tensor grad_out [B, T, E]; out [B, T, E]; weights [B, Hq, T, T]; lse [B, Hq, T]
    tensor grad.x and grad.<parameter name> for every parameter
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf                                       # noqa: E402

torch.set_default_dtype(torch.float64)
SCRIPT = 'src/test/python/make_llama_fixtures.py'
PROJ = ('q_proj', 'k_proj', 'v_proj', 'o_proj')


def rotate_half(x):
    """Hugging Face's rotate_half."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotary_cos_sin(rot, base, positions):
    """LlamaRotaryEmbedding.forward, in float64."""
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.int64).double() / rot))
    freqs = torch.outer(positions.double(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def apply_rotary_pos_emb(q, k, cos, sin, rot):
    """apply_rotary_pos_emb on the first rot features (partial rotary), the rest passed through."""
    cos, sin = cos[None, None], sin[None, None]
    q_rot, q_pass = q[..., :rot], q[..., rot:]
    k_rot, k_pass = k[..., :rot], k[..., rot:]
    q_embed = (q_rot * cos) + (rotate_half(q_rot) * sin)
    k_embed = (k_rot * cos) + (rotate_half(k_rot) * sin)
    return torch.cat((q_embed, q_pass), dim=-1), torch.cat((k_embed, k_pass), dim=-1)


def repeat_kv(hidden_states, n_rep):
    """Hugging Face's repeat_kv: (B, Hkv, T, d) -> (B, Hkv * n_rep, T, d)."""
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


def linear(x, w, b):
    y = torch.matmul(x, w.transpose(0, 1))
    return y if b is None else y + b


def allowed_mask(B, T, window, key_padding):
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    allowed = np.broadcast_to(j <= i, (B, 1, T, T)).copy()
    if window:
        allowed &= (j > i - window)[None, None]
    if key_padding is not None:
        for b in range(B):
            allowed[b, :, :, key_padding[b]:] = False
    return torch.from_numpy(allowed)


def layer(x, params, cfg):
    """The layer's forward: (output [B, T, E], weights [B, Hq, T, T], lse [B, Hq, T])."""
    B, T, _ = x.shape
    hq, hkv, d, rot = cfg['Hq'], cfg['Hkv'], cfg['d'], cfg['rot']
    q = linear(x, params['q_proj.weight'], params.get('q_proj.bias')).view(B, T, hq, d).transpose(1, 2)
    k = linear(x, params['k_proj.weight'], params.get('k_proj.bias')).view(B, T, hkv, d).transpose(1, 2)
    v = linear(x, params['v_proj.weight'], params.get('v_proj.bias')).view(B, T, hkv, d).transpose(1, 2)
    if rot:
        positions = torch.arange(cfg['start'], cfg['start'] + T)
        cos, sin = rotary_cos_sin(rot, cfg['base'], positions)
        q, k = apply_rotary_pos_emb(q, k, cos, sin, rot)
    k = repeat_kv(k, hq // hkv)
    v = repeat_kv(v, hq // hkv)
    s = torch.matmul(q, k.transpose(2, 3)) * cfg['scale']
    allowed = allowed_mask(B, T, cfg['window'], cfg['key_padding']).expand_as(s)
    s = torch.where(allowed, s, torch.full_like(s, float('-inf')))
    has_any = allowed.any(dim=-1, keepdim=True).expand_as(s)
    s = torch.where(has_any, s, torch.zeros_like(s))
    w = torch.softmax(s, dim=-1)
    w = torch.where(has_any, w, torch.zeros_like(w))
    lse = torch.logsumexp(s, dim=-1)
    lse = torch.where(has_any[..., 0], lse, torch.full_like(lse, float('-inf')))
    o = torch.matmul(w, v).transpose(1, 2).reshape(B, T, hq * d)
    return linear(o, params['o_proj.weight'], params.get('o_proj.bias')), w, lse


def emit(group, name, E, Hq, Hkv, T, B=1, d=None, rot=None, base=10000.0, window=0, start=0, scale=None,
         biases=(), key_padding=None):
    d = d or E // Hq
    rot = d if rot is None else rot
    rng = mf.rng_for('llama/' + name)
    cfg = dict(Hq=Hq, Hkv=Hkv, d=d, rot=rot, base=base, window=window, start=start,
               scale=(1.0 / math.sqrt(d)) if scale is None else scale, key_padding=key_padding)
    x = mf.rnd(rng, B, T, E)
    shapes = {'q_proj': (Hq * d, E), 'k_proj': (Hkv * d, E), 'v_proj': (Hkv * d, E), 'o_proj': (E, Hq * d)}
    arrays = {}
    for p in PROJ:
        arrays[p + '.weight'] = mf.rnd(rng, *shapes[p], scale=0.5)
        if p in biases:
            arrays[p + '.bias'] = mf.rnd(rng, shapes[p][0], scale=0.5)
    names = list(arrays)
    leaves = {n: torch.tensor(a, requires_grad=True) for n, a in arrays.items()}
    tx = torch.tensor(x, requires_grad=True)
    out, w, lse = layer(tx, leaves, cfg)
    gout = mf.rnd(rng, *out.shape)
    tg = torch.from_numpy(gout)
    (out * tg).sum().backward()

    def loss(xx, *ps):
        return (layer(xx, dict(zip(names, ps)), cfg)[0] * tg).sum()
    inputs = [torch.tensor(x, requires_grad=True)] + [torch.tensor(arrays[n], requires_grad=True) for n in names]
    assert torch.autograd.gradcheck(loss, tuple(inputs), eps=1e-6, atol=1e-7, rtol=1e-6), name
    for label, a in [('out', out), ('weights', w), ('grad.x', tx.grad)] + [(n, leaves[n].grad) for n in names]:
        assert not torch.isnan(a).any(), (name, label)

    group.case(name)
    group.ints('config', [E, Hq, Hkv, d, rot, window, start])
    group.scalar('base', base)
    group.scalar('scale', cfg['scale'])
    if key_padding is not None:
        group.ints('key_padding', key_padding)
    group.tensor('x', x)
    for n in names:
        group.tensor(n, arrays[n])
    group.tensor('grad_out', gout)
    group.tensor('out', out.detach().numpy())
    group.tensor('weights', w.detach().numpy())
    group.tensor('lse', lse.detach().numpy())
    group.tensor('grad.x', tx.grad.numpy())
    for n in names:
        group.tensor('grad.' + n, leaves[n].grad.numpy())


def main():
    g = mf.Group('llama.txt', "A Llama-family attention layer (Hugging Face's LlamaAttention, eager): GQA, RoPE, windows")
    g.lines[1] = '# Generated by %s (torch %s); do not edit.' % (SCRIPT, torch.__version__)
    # Hq = Hkv: plain multi-head attention with rotary positions
    emit(g, 'mha_2_heads_T7', E=8, Hq=2, Hkv=2, T=7)
    # multi-query, Qwen 2's q/k/v biases, an explicit head size (Hq * d != E), rope_theta 1e6
    emit(g, 'mqa_4_over_1_qwen_biases_T13', E=12, Hq=4, Hkv=1, d=4, T=13, base=1e6,
         biases=('q_proj', 'k_proj', 'v_proj'))
    # 8 query heads over 2, every bias, partial rotary (2 of 4 features), Llama 3's rope_theta
    emit(g, 'gqa_8_over_2_all_biases_partial_rotary_T13', E=16, Hq=8, Hkv=2, d=4, rot=2, T=13, base=500000.0,
         biases=PROJ)
    # one token at position 5
    emit(g, 'gqa_8_over_2_T1_at_5', E=16, Hq=8, Hkv=2, T=1, start=5, biases=('o_proj',))
    # Mistral's sliding window, an odd head size with partial rotary, positions from 3
    emit(g, 'window_4_gqa_odd_head_T13_at_3', E=12, Hq=4, Hkv=2, rot=2, T=13, window=4, start=3)
    # a right-padded batch of two
    emit(g, 'batch_2_key_padding_T7_at_2', E=8, Hq=4, Hkv=2, T=7, B=2, start=2, key_padding=[7, 4],
         biases=('o_proj',))
    # padding and a window together leave rows with nothing to attend to
    emit(g, 'batch_2_window_3_padding_empty_rows_T13', E=8, Hq=2, Hkv=1, T=13, B=2, window=3,
         key_padding=[13, 5], biases=PROJ)
    # a custom score scale, no rotary
    emit(g, 'scale_0_3_no_rotary_T7', E=8, Hq=4, Hkv=2, rot=0, T=7, scale=0.3, biases=('q_proj', 'v_proj'))
    path, size = g.write()
    print('wrote %s (%d cases, %d bytes)' % (path, g.count, size))


if __name__ == '__main__':
    main()
