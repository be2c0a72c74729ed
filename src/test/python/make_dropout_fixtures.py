#!/usr/bin/python3
"""Reference forwards and gradients of attention with dropout on the weights, float64, PyTorch autograd.

Run with an interpreter that has torch and numpy (Debian's python3-torch, torch 1.13, is enough):

    /usr/bin/python3 src/test/python/make_dropout_fixtures.py

It rewrites src/test/resources/dev/heed/fixtures/dropout.txt and nothing else. Deterministic: each
case draws its inputs from its own NumPy generator seeded from the case name, rounded to a few
decimals. Read by src/test/java/dev/heed/attention/DropoutFixturesTest.java.

The keep mask is Heed's counter-based generator, written again here from its definition (the
javadoc of ScaledDotProductAttention.withDropout): with all arithmetic modulo 2^64,

    mix(z) = z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27; z *= 0x94d049bb133111eb; z ^ (z >> 31)
    h      = mix(mix(mix(mix(mix(seed ^ 0x9e3779b97f4a7c15) ^ batch) ^ head) ^ query) ^ key)
    keep   = (h >> 11) * 2^-53 >= p,   Z = keep / (1 - p)

(head = index on the scores' axis -3, batch = flat index over the axes before it). The attention is
PyTorch's with that mask applied the way F.dropout applies its own: weights P (after softmax, mask,
soft cap) become P * Z, output (P * Z) @ V, the log-sum-exp stays the undropped one. Autograd gives
the gradients, which are checked against torch.autograd.gradcheck's finite differences (the mask is a
constant of the seed) before they are written.

Masks: causal, sliding windows, ALiBi, key padding and FlexAttention-style mask functions as
make_variant_fixtures.py defines them, plus boolean allow/block tensors and a float bias (with -inf)
as make_fixtures.py does; grouped-query heads through repeat_interleave; Gemma 2's soft cap.

Format (make_fixtures.py's): a case 'generator' with ints 'index' (seed, batch, head, query, key per
row, seed as two 32-bit halves high then low: 6 ints a row) and string 'hashes' (h in hex, one per
row) and string 'uniforms' (u as repr); then per case
    tensor q, k, v, grad_out, out, weights (after dropout), lse, dq, dk, dv, keep (0/1, [batch..., Hq, L, S])
    scalar p, string seed (decimal, signed 64-bit), scalar scale, scalar soft_cap, and the mask fields
    of make_variant_fixtures.py (causal, window, alibi_slopes, key_padding, where, doc_ends, prefix)
    plus optional tensors allow, block, bias broadcast against the scores
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf                                       # noqa: E402
import make_variant_fixtures as mv                               # noqa: E402

torch.set_default_dtype(torch.float64)
SCRIPT = 'src/test/python/make_dropout_fixtures.py'
M64 = (1 << 64) - 1


def mix(z):
    """SplitMix64's finaliser on an unsigned 64-bit integer."""
    z &= M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def dropout_hash(seed, batch, head, query, key):
    h = mix((seed & M64) ^ 0x9e3779b97f4a7c15)
    for x in (batch, head, query, key):
        h = mix(h ^ x)
    return h


def uniform(h):
    return (h >> 11) * 2.0 ** -53


def keep_mask(shape, p, seed):
    """keep[batch..., head, i, j] as float 0/1 for scores of `shape` (rank >= 2)."""
    shape = tuple(shape)
    heads = shape[-3] if len(shape) >= 3 else 1
    L, S = shape[-2], shape[-1]
    flat = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    keep = np.zeros((flat, L, S))
    for b in range(flat):
        for i in range(L):
            row = mix(mix(mix(mix((seed & M64) ^ 0x9e3779b97f4a7c15) ^ (b // heads)) ^ (b % heads)) ^ i)
            for j in range(S):
                keep[b, i, j] = 1.0 if uniform(mix(row ^ j)) >= p else 0.0
    return keep.reshape(shape)


def reference(q, k, v, spec):
    """Undropped weights and lse, autograd through q and k: make_variant_fixtures.reference plus tensor masks."""
    hq = mv.heads(q.shape)
    kr = mv.repeat_kv(k, hq)
    L, S = q.shape[-2], k.shape[-2]
    s = torch.matmul(q, kr.transpose(-2, -1)) * spec['scale']
    if spec['soft_cap']:
        cap = spec['soft_cap']
        s = torch.tanh(s / cap) * cap
    shape = tuple(s.shape)
    i = np.arange(L)[:, None]
    j = np.arange(S)[None, :]
    pos = i + (S - L)
    allowed = np.ones(shape, dtype=bool)
    bias = np.zeros(shape)
    if spec['causal']:
        allowed &= j <= pos
    if spec.get('window'):
        left, right = spec['window']
        if left >= 0:
            allowed &= j >= pos - left
        if right >= 0:
            allowed &= j <= pos + right
    if spec.get('key_padding'):
        lengths = spec['key_padding']
        for b in range(shape[0]):
            n = lengths[0] if len(lengths) == 1 else lengths[b]
            allowed[b, ..., n:] = False
    if spec['where'] == 'documents':
        doc = np.searchsorted(np.array(spec['doc_ends']), np.arange(max(L, S)), side='right')
        allowed &= (doc[pos.ravel()][:, None] == doc[j.ravel()][None, :]) & (j <= pos)
    elif spec['where'] == 'prefix':
        allowed &= (j < spec['prefix']) | (j <= pos)
    if spec.get('alibi_slopes') is not None:
        slopes = np.asarray(spec['alibi_slopes'])
        per_head = (-slopes[:, None, None] * np.abs(pos - j)[None, :, :])
        bias = bias + np.broadcast_to(per_head if len(slopes) == mv.heads(shape) else per_head[:1], shape)
    if spec.get('allow') is not None:
        allowed &= np.broadcast_to(spec['allow'] != 0, shape)
    if spec.get('block') is not None:
        allowed &= np.broadcast_to(spec['block'] == 0, shape)
    if spec.get('bias') is not None:
        t = np.broadcast_to(spec['bias'], shape)
        allowed &= t != -np.inf
        bias = bias + np.where(t == -np.inf, 0.0, t)
    allowed_t = torch.from_numpy(np.ascontiguousarray(allowed))
    s = torch.where(allowed_t, s + torch.from_numpy(np.ascontiguousarray(bias)), torch.full_like(s, float('-inf')))
    has_any = allowed_t.any(dim=-1, keepdim=True).expand_as(s)
    s = torch.where(has_any, s, torch.zeros_like(s))
    w = torch.softmax(s, dim=-1)
    w = torch.where(has_any, w, torch.zeros_like(w))
    lse = torch.logsumexp(s, dim=-1)
    lse = torch.where(has_any[..., 0], lse, torch.full_like(lse, float('-inf')))
    return w, lse


def dropped(q, k, v, spec, z):
    """(P * Z) @ V: the output, the dropped weights and the undropped lse."""
    w, lse = reference(q, k, v, spec)
    wd = w * z
    return torch.matmul(wd, mv.repeat_kv(v, mv.heads(q.shape))), wd, lse


def emit(group, name, q_shape, k_shape, v_shape, p, seed, q_scale=1.0, scale=None, soft_cap=0.0, causal=False,
         window=None, alibi=None, key_padding=None, where='none', doc_ends=None, prefix=None, allow=None,
         block=None, bias=None):
    rng = mf.rng_for('dropout/' + name)
    q = mf.rnd(rng, *q_shape, scale=q_scale)
    k = mf.rnd(rng, *k_shape)
    v = mf.rnd(rng, *v_shape)
    d = q_shape[-1]
    spec = dict(scale=(1.0 / math.sqrt(d)) if scale is None else scale, soft_cap=soft_cap, causal=causal,
                window=window, alibi_slopes=alibi, key_padding=key_padding, where=where, doc_ends=doc_ends,
                prefix=prefix, allow=None if allow is None else allow(rng),
                block=None if block is None else block(rng), bias=None if bias is None else bias(rng))
    tq, tk, tv = leaf(q), leaf(k), leaf(v)
    with torch.no_grad():
        scores_shape = reference(tq, tk, tv, spec)[0].shape
    keep = keep_mask(scores_shape, p, seed)
    z = torch.from_numpy(keep) * (1.0 / (1.0 - p))               # what F.dropout multiplies by
    out, wd, lse = dropped(tq, tk, tv, spec, z)
    gout = mf.rnd(rng, *out.shape)
    tg = torch.from_numpy(gout)
    (out * tg).sum().backward()
    ok = torch.autograd.gradcheck(lambda a, b, c: (dropped(a, b, c, spec, z)[0] * tg).sum(),
                                  (leaf(q), leaf(k), leaf(v)), eps=1e-6, atol=1e-7, rtol=1e-6)
    assert ok, name
    for label, a in (('out', out), ('weights', wd), ('dq', tq.grad), ('dk', tk.grad), ('dv', tv.grad)):
        assert not torch.isnan(a).any(), (name, label)
    kept = keep.mean()
    assert 0 < kept < 1, (name, kept)                            # every case drops some weights and keeps some
    group.case(name)
    for label, a in (('q', q), ('k', k), ('v', v)):
        group.tensor(label, a)
    group.scalar('p', p)
    group.string('seed', str(seed))
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
    for label in ('allow', 'block', 'bias'):
        if spec[label] is not None:
            group.tensor(label, spec[label])
    group.tensor('grad_out', gout)
    group.tensor('out', out.detach().numpy())
    group.tensor('weights', wd.detach().numpy())
    group.tensor('lse', lse.detach().numpy())
    group.tensor('keep', keep)
    group.tensor('dq', tq.grad.numpy())
    group.tensor('dk', tk.grad.numpy())
    group.tensor('dv', tv.grad.numpy())


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


KNOWN = [(0, 0, 0, 0, 0), (0, 0, 0, 0, 1), (0, 0, 0, 1, 0), (0, 0, 1, 0, 0), (0, 1, 0, 0, 0),
         (1, 0, 0, 0, 0), (42, 3, 7, 100, 200), (-1, 0, 0, 0, 0), (0x5eed, 1, 2, 65, 257),
         (-0x7fffffffffffffff - 1, 2147483647, 2147483647, 2147483647, 2147483647)]


def emit_generator(group):
    group.case('generator')
    ints = []
    for seed, b, h, i, j in KNOWN:
        u64 = seed & M64
        hi, lo = u64 >> 32, u64 & 0xffffffff
        ints += [hi - (1 << 32) if hi >= 1 << 31 else hi, lo - (1 << 32) if lo >= 1 << 31 else lo, b, h, i, j]
    group.ints('index', ints)
    hashes = [dropout_hash(*t) for t in KNOWN]
    group.string('hashes', ' '.join('%016x' % x for x in hashes))
    group.string('uniforms', ' '.join(repr(uniform(x)) for x in hashes))


def bits(shape, p):
    return lambda rng: (rng.random(shape) < p).astype(np.float64)


def biased(shape):
    def make(rng):
        b = np.round(rng.standard_normal(shape) * 2, 3)
        return np.where(b < -2.4, -np.inf, b)
    return make


def main():
    g = mf.Group('dropout.txt', 'Attention with dropout on the weights: Heed\'s keep mask, applied in PyTorch')
    g.lines[1] = '# Generated by %s (torch %s); do not edit.' % (SCRIPT, torch.__version__)
    emit_generator(g)
    emit(g, 'none_p03', (2, 5, 4), (2, 7, 4), (2, 7, 3), 0.3, 1)
    emit(g, 'causal_heads_p05', (2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 2), 0.5, 12345, causal=True)
    emit(g, 'odd_sizes_p01', (1, 13, 5), (1, 11, 5), (1, 11, 7), 0.1, -7, scale=0.4)
    emit(g, 'rank2_p06', (7, 3), (9, 3), (9, 2), 0.6, 2)
    emit(g, 'allow_block_p02', (2, 2, 6, 3), (2, 2, 8, 3), (2, 2, 8, 3), 0.2, 99,
         allow=bits((2, 1, 6, 8), 0.75), block=bits((1, 2, 1, 8), 0.2))
    emit(g, 'bias_neg_inf_p04', (2, 5, 3), (2, 6, 3), (2, 6, 3), 0.4, 5, bias=biased((2, 5, 6)))
    emit(g, 'key_padding_causal_p03', (3, 6, 4), (3, 6, 4), (3, 6, 2), 0.3, 77, causal=True, key_padding=[6, 3, 1])
    emit(g, 'window_3_1_p025', (1, 2, 9, 4), (1, 2, 9, 4), (1, 2, 9, 4), 0.25, 8, window=[3, 1])
    emit(g, 'alibi_causal_p035', (1, 4, 7, 4), (1, 4, 7, 4), (1, 4, 7, 3), 0.35, 9, causal=True,
         alibi=mv.get_slopes(4))
    emit(g, 'gqa_8_over_2_p03', (2, 8, 5, 4), (2, 2, 7, 4), (2, 2, 7, 3), 0.3, 10)
    emit(g, 'soft_cap_causal_p05', (1, 2, 6, 4), (1, 2, 6, 4), (1, 2, 6, 4), 0.5, 11, q_scale=3.0, soft_cap=2.0,
         causal=True)
    emit(g, 'where_documents_p02', (1, 2, 10, 3), (1, 2, 10, 3), (1, 2, 10, 3), 0.2, 12, where='documents',
         doc_ends=[3, 8, 10])
    emit(g, 'where_prefix_p045', (2, 1, 7, 3), (2, 1, 7, 3), (2, 1, 7, 3), 0.45, 13, where='prefix', prefix=3)
    emit(g, 'combined_gqa_window_alibi_cap_padding_p03', (2, 4, 9, 4), (2, 2, 9, 4), (2, 2, 9, 3), 0.3, -12345,
         q_scale=2.0, soft_cap=1.5, window=[4, 0], alibi=mv.get_slopes(4), key_padding=[9, 6])
    emit(g, 'decode_mqa_causal_p02', (1, 4, 3, 4), (1, 1, 8, 4), (1, 1, 8, 2), 0.2, 14, causal=True)
    path, size = g.write()
    print('wrote %s (%d cases, %d bytes)' % (path, g.count, size))


if __name__ == '__main__':
    main()
