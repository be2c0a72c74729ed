#!/usr/bin/python3
"""Reference forwards and gradients of Heed's modern attention variants, float64, PyTorch autograd.

Run with an interpreter that has torch and numpy (written against Debian's python3-torch,
torch 1.13.0a0, which has neither F.scaled_dot_product_attention nor its enable_gqa, so attention
is written out with torch ops and differentiated by autograd):

    /usr/bin/python3 src/test/python/make_variant_fixtures.py

It rewrites src/test/resources/dev/heed/fixtures/variants.txt and nothing else. Deterministic:
each case draws its inputs from its own NumPy generator seeded from the case name; inputs are
rounded to a few decimals (exact doubles, short text). Read by
src/test/java/dev/heed/attention/VariantFixturesTest.java.

What each variant is here, written from its source's definition rather than from Heed:
  grouped-query  torch.repeat_interleave(k, Hq // Hkv, dim=-3) (and v): PyTorch's enable_gqa.
                 Autograd through it sums each group's gradient into its key/value head.
  window         FlashAttention's window_size=(left, right): key j allowed iff
                 p - left <= j <= p + right with p = i + S - L; -1 = unbounded side.
  alibi          FlashAttention's alibi_slopes: bias -slope[h] * |p - j| (p as above), slopes
                 from the ALiBi paper's get_slopes (ofirpress/attention_with_linear_biases).
  soft cap       Gemma 2 (Hugging Face): scores = tanh(scores / cap) * cap, after scaling,
                 before the mask and biases.
  where          FlexAttention's mask_mod, written as a boolean tensor: 'documents' (packed
                 documents ending at doc_ends, causal within each) or 'prefix' (keys < prefix,
                 or causal).
  key padding    batch element b sees keys j < lengths[b].

Rows that may attend to nothing give output 0, weights 0, lse -inf and zero gradients, computed
NaN-free with torch.where as in make_gradient_fixtures.py. Every gradient is also checked against
torch.autograd.gradcheck's finite differences before it is written.

Format (make_fixtures.py's): per case
    tensor q, k, v, grad_out, out, weights [batch..., Hq, L, S], lse, dq, dk, dv (each gradient
           shaped like its input)
    scalar scale (the score scale; 1/sqrt(d) is written out), scalar soft_cap (0 = none)
    string causal 'true'|'false'; ints window (left right, absent = none); tensor alibi_slopes
    (absent = none); ints key_padding (absent = none); string where 'none'|'documents'|'prefix',
    ints doc_ends, scalar prefix
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf                                       # noqa: E402

torch.set_default_dtype(torch.float64)
SCRIPT = 'src/test/python/make_variant_fixtures.py'


def get_slopes(n):
    """The ALiBi paper's reference code, verbatim in substance."""
    def get_slopes_power_of_2(n):
        start = (2 ** (-2 ** -(math.log2(n) - 3)))
        ratio = start
        return [start * ratio ** i for i in range(n)]
    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return get_slopes_power_of_2(closest_power_of_2) + get_slopes(2 * closest_power_of_2)[0::2][:n - closest_power_of_2]


def heads(shape):
    return shape[-3] if len(shape) >= 3 else 1


def repeat_kv(t, hq):
    h = heads(t.shape)
    if h == 1 or h == hq:
        return t
    assert hq % h == 0
    return torch.repeat_interleave(t, hq // h, dim=-3)


def reference(q, k, v, spec):
    """Forward (out, weights, lse) and the allowed/bias arrays, with autograd leaves q, k, v."""
    hq = heads(q.shape)
    kr, vr = repeat_kv(k, hq), repeat_kv(v, hq)
    L, S = q.shape[-2], k.shape[-2]
    s = torch.matmul(q, kr.transpose(-2, -1)) * spec['scale']
    if spec['soft_cap']:
        cap = spec['soft_cap']
        s = torch.tanh(s / cap) * cap
    shape = tuple(s.shape)
    i = np.arange(L)[:, None]
    j = np.arange(S)[None, :]
    p = i + (S - L)
    allowed = np.ones(shape, dtype=bool)
    bias = np.zeros(shape)
    if spec['causal']:
        allowed &= j <= p
    if spec.get('window'):
        left, right = spec['window']
        if left >= 0:
            allowed &= j >= p - left
        if right >= 0:
            allowed &= j <= p + right
    if spec.get('key_padding'):
        lengths = spec['key_padding']
        for b in range(shape[0]):
            n = lengths[0] if len(lengths) == 1 else lengths[b]
            allowed[b, ..., n:] = False
    if spec['where'] == 'documents':
        ends = spec['doc_ends']
        doc = np.searchsorted(np.array(ends), np.arange(max(L, S)), side='right')
        allowed &= (doc[(i + (S - L)).ravel()][:, None] == doc[j.ravel()][None, :]) & (j <= p)
    elif spec['where'] == 'prefix':
        allowed &= (j < spec['prefix']) | (j <= p)
    if spec.get('alibi_slopes') is not None:
        slopes = np.asarray(spec['alibi_slopes'])
        h = heads(shape)
        per_head = (-slopes[:, None, None] * np.abs(p - j)[None, :, :])  # [H, L, S]
        bias = bias + np.broadcast_to(per_head if len(slopes) == h else per_head[:1], shape)
    allowed_t = torch.from_numpy(np.ascontiguousarray(allowed))
    s = torch.where(allowed_t, s + torch.from_numpy(np.ascontiguousarray(bias)), torch.full_like(s, float('-inf')))
    has_any = allowed_t.any(dim=-1, keepdim=True).expand_as(s)
    s = torch.where(has_any, s, torch.zeros_like(s))
    w = torch.softmax(s, dim=-1)
    w = torch.where(has_any, w, torch.zeros_like(w))
    out = torch.matmul(w, vr)
    lse = torch.logsumexp(s, dim=-1)
    lse = torch.where(has_any[..., 0], lse, torch.full_like(lse, float('-inf')))
    return out, w, lse


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def emit(group, name, q_shape, k_shape, v_shape, q_scale=1.0, scale=None, soft_cap=0.0, causal=False,
         window=None, alibi=None, key_padding=None, where='none', doc_ends=None, prefix=None):
    rng = mf.rng_for('variants/' + name)
    q = mf.rnd(rng, *q_shape, scale=q_scale)
    k = mf.rnd(rng, *k_shape)
    v = mf.rnd(rng, *v_shape)
    d = q_shape[-1]
    spec = dict(scale=(1.0 / math.sqrt(d)) if scale is None else scale, soft_cap=soft_cap, causal=causal,
                window=window, alibi_slopes=alibi, key_padding=key_padding, where=where, doc_ends=doc_ends,
                prefix=prefix)
    tq, tk, tv = leaf(q), leaf(k), leaf(v)
    out, w, lse = reference(tq, tk, tv, spec)
    gout = mf.rnd(rng, *out.shape)
    (out * torch.from_numpy(gout)).sum().backward()
    tg = torch.from_numpy(gout)
    ok = torch.autograd.gradcheck(lambda a, b, c: (reference(a, b, c, spec)[0] * tg).sum(),
                                  (leaf(q), leaf(k), leaf(v)), eps=1e-6, atol=1e-7, rtol=1e-6)
    assert ok, name
    for label, a in (('out', out), ('weights', w), ('dq', tq.grad), ('dk', tk.grad), ('dv', tv.grad)):
        assert not torch.isnan(a).any(), (name, label)
    group.case(name)
    group.tensor('q', q)
    group.tensor('k', k)
    group.tensor('v', v)
    group.scalar('scale', spec['scale'])
    group.scalar('soft_cap', soft_cap)
    group.string('causal', 'true' if causal else 'false')
    if window is not None:
        group.ints('window', window)
    if alibi is not None:
        group.tensor('alibi_slopes', np.asarray(alibi))
    if key_padding is not None:
        group.ints('key_padding', key_padding)
    group.string('where', where)
    if doc_ends is not None:
        group.ints('doc_ends', doc_ends)
    if prefix is not None:
        group.scalar('prefix', prefix)
    group.tensor('grad_out', gout)
    group.tensor('out', out.detach().numpy())
    group.tensor('weights', w.detach().numpy())
    group.tensor('lse', lse.detach().numpy())
    group.tensor('dq', tq.grad.numpy())
    group.tensor('dk', tk.grad.numpy())
    group.tensor('dv', tv.grad.numpy())


def main():
    g = mf.Group('variants.txt', 'Modern attention variants: GQA, sliding windows, ALiBi, soft-capping, mask functions')
    g.lines[1] = '# Generated by %s (torch %s); do not edit.' % (SCRIPT, torch.__version__)
    # grouped-query and multi-query attention
    emit(g, 'gqa_8_over_2', (2, 8, 5, 4), (2, 2, 7, 4), (2, 2, 7, 3))
    emit(g, 'mqa_4_over_1_causal', (1, 4, 6, 3), (1, 1, 6, 3), (1, 1, 6, 3), causal=True)
    emit(g, 'gqa_6_over_3_key_rank3', (2, 6, 4, 5), (3, 4, 5), (3, 4, 2), causal=True)
    # sliding windows
    emit(g, 'window_3_0', (1, 2, 9, 4), (1, 2, 9, 4), (1, 2, 9, 4), window=[3, 0])
    emit(g, 'window_2_1_more_queries', (1, 2, 7, 4), (1, 2, 5, 4), (1, 2, 5, 2), window=[2, 1])
    emit(g, 'window_unbounded_left_2', (2, 6, 3), (2, 6, 3), (2, 6, 3), window=[-1, 2])
    emit(g, 'window_1_1_decode', (1, 2, 3, 4), (1, 2, 8, 4), (1, 2, 8, 4), window=[1, 1])
    # ALiBi
    emit(g, 'alibi_4_heads_causal', (1, 4, 8, 4), (1, 4, 8, 4), (1, 4, 8, 4), causal=True, alibi=get_slopes(4))
    emit(g, 'alibi_6_heads_bidirectional', (2, 6, 5, 3), (2, 6, 7, 3), (2, 6, 7, 2), alibi=get_slopes(6))
    emit(g, 'alibi_one_slope', (3, 4, 2), (3, 6, 2), (3, 6, 2), causal=True, alibi=[0.375])
    # soft-capping
    emit(g, 'soft_cap_2_causal', (1, 2, 6, 4), (1, 2, 6, 4), (1, 2, 6, 4), q_scale=3.0, soft_cap=2.0, causal=True)
    emit(g, 'soft_cap_50_scale_half', (2, 5, 3), (2, 7, 3), (2, 7, 3), q_scale=10.0, scale=0.5, soft_cap=50.0)
    # mask functions
    emit(g, 'where_documents', (1, 2, 10, 3), (1, 2, 10, 3), (1, 2, 10, 3), where='documents', doc_ends=[3, 8, 10])
    emit(g, 'where_prefix', (2, 1, 7, 3), (2, 1, 7, 3), (2, 1, 7, 3), where='prefix', prefix=3)
    # everything at once
    emit(g, 'combined_gqa_window_alibi_cap_padding', (2, 4, 9, 4), (2, 2, 9, 4), (2, 2, 9, 3), q_scale=2.0,
         soft_cap=1.5, window=[4, 0], alibi=get_slopes(4), key_padding=[9, 6])
    emit(g, 'combined_decode_mqa_window_alibi_cap', (1, 4, 3, 4), (1, 1, 8, 4), (1, 1, 8, 2), q_scale=2.0,
         soft_cap=5.0, window=[3, 0], alibi=get_slopes(4), causal=True)
    emit(g, 'combined_documents_gqa_cap_padding', (2, 4, 10, 3), (2, 2, 10, 3), (2, 2, 10, 3), soft_cap=1.0,
         q_scale=2.0, where='documents', doc_ends=[4, 10], key_padding=[10, 2])
    path, size = g.write()
    print('wrote %s (%d cases, %d bytes)' % (path, g.count, size))


if __name__ == '__main__':
    main()
