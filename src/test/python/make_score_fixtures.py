#!/usr/bin/python3
"""Reference forwards and gradients of attention with score functions (FlexAttention's score_mod), float64.

Run with an interpreter that has torch and numpy (written against Debian's python3-torch, torch 1.13.0a0, which has
no flex_attention, so attention is written out with torch ops and differentiated by autograd):

    /usr/bin/python3 src/test/python/make_score_fixtures.py

It rewrites src/test/resources/dev/heed/fixtures/score_functions.txt and nothing else. Deterministic: each case draws
its inputs from its own NumPy generator seeded from the case name; inputs are rounded to a few decimals. Read by
src/test/java/dev/heed/attention/ScoreFunctionFixturesTest.java.

What is written here, from its source's definition rather than from Heed:
  T5 buckets   relative_position_bucket below is Hugging Face transformers' T5Attention._relative_position_bucket
               (modeling_t5.py), copied; the bias is table[h, bucket(key - query')] with query' = query + S - L
               (Hugging Face's compute_bias(real_seq_length, key_length) sliced to the last L query rows when it
               decodes with a cache; for L == S it is compute_bias(L, S) itself). Heed's table is Hugging Face's
               relative_attention_bias.weight transposed: [heads, num_buckets].
  score_mod    applied after scale and soft cap, before the mask, as flex_attention(q, k, v, score_mod=...) does:
               score_mod(score, b, h, q_idx, kv_idx) on broadcast index tensors.
  the rest     as make_variant_fixtures.py: repeat_interleave for grouped heads, FlashAttention's windows,
               Gemma 2's soft cap, key padding; rows with nothing to attend to give 0 and zero gradients.

Every gradient (q, k, v and the table) is checked against torch.autograd.gradcheck before it is written.

Format (make_fixtures.py's): a case 'buckets_*' holds string kind 'buckets', string bidirectional, ints num_buckets,
max_distance, ints positions (from, to inclusive) and ints buckets (one per relative position). An attention case
holds string kind 't5'|'bias'|'plain', tensors q, k, v, grad_out, out, weights, lse, dq, dk, dv, scalar scale,
scalar soft_cap, string causal, ints window / key_padding (absent = none), and for 't5' tensor table, dtable, string
bidirectional, ints num_buckets, max_distance; for 'bias' tensor table, dtable, ints index_mul (the index is
(a*q_idx + b*kv_idx + c*h) mod table size).
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
SCRIPT = 'src/test/python/make_score_fixtures.py'


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Hugging Face transformers, T5Attention._relative_position_bucket, copied."""
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    # now relative_position is in the range [0, inf)

    # half of the buckets are for exact increments in positions
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact

    # The other half of the buckets are for logarithmically bigger bins in positions up to max_distance
    relative_position_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    relative_position_if_large = torch.min(
        relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
    )

    relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
    return relative_buckets


def t5_score_mod(table, bidirectional, num_buckets, max_distance, L, S):
    """FlexAttention's score_mod for T5's bias, bottom-right aligned (query' = query + S - L)."""
    def score_mod(score, b, h, q_idx, kv_idx):
        # relative_position_bucket's .float() would turn float64 into float32 (as in Hugging Face, where the
        # default dtype is float32): the positions stay integer tensors, as there.
        rel = kv_idx - (q_idx + (S - L))
        bucket = relative_position_bucket(rel, bidirectional, num_buckets, max_distance)
        hh = h if table.shape[0] > 1 else torch.zeros_like(h)
        return score + table[hh, bucket]
    return score_mod


def bias_score_mod(table, mul):
    a, bb, c = mul

    def score_mod(score, b, h, q_idx, kv_idx):
        index = (a * q_idx + bb * kv_idx + c * h) % table.shape[0]
        return score + table[index]
    return score_mod


def plain_score_mod(score, b, h, q_idx, kv_idx):
    """No parameters: a soft cap of 2 plus a fixed bias that depends on every index."""
    return 2.0 * torch.tanh(score / 2.0) + 0.1 * (h + 1) * torch.cos((q_idx - kv_idx).to(torch.float64)) + 0.05 * b


def reference(q, k, v, spec, score_mod):
    hq = mv.heads(q.shape)
    kr, vr = mv.repeat_kv(k, hq), mv.repeat_kv(v, hq)
    L, S = q.shape[-2], k.shape[-2]
    s = torch.matmul(q, kr.transpose(-2, -1)) * spec['scale']
    if spec['soft_cap']:
        cap = spec['soft_cap']
        s = torch.tanh(s / cap) * cap
    shape = tuple(s.shape)
    # flex_attention's index tensors over [B, H, L, S]: H is axis -3 (a rank-3 problem's leading axis), B the rest
    s4 = s.reshape((-1,) + shape[-3:]) if len(shape) >= 3 else s.reshape(1, 1, L, S)
    B4, H4 = s4.shape[0], s4.shape[1]
    b_idx = torch.arange(B4).view(B4, 1, 1, 1)
    h_idx = torch.arange(H4).view(1, H4, 1, 1)
    q_idx = torch.arange(L).view(1, 1, L, 1)
    kv_idx = torch.arange(S).view(1, 1, 1, S)
    s = score_mod(s4, b_idx, h_idx, q_idx, kv_idx).expand(B4, H4, L, S).reshape(shape)
    i = np.arange(L)[:, None]
    j = np.arange(S)[None, :]
    p = i + (S - L)
    allowed = np.ones(shape, dtype=bool)
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
    allowed_t = torch.from_numpy(np.ascontiguousarray(allowed))
    s = torch.where(allowed_t, s, torch.full_like(s, float('-inf')))
    has_any = allowed_t.any(dim=-1, keepdim=True).expand_as(s)
    s = torch.where(has_any, s, torch.zeros_like(s))
    w = torch.softmax(s, dim=-1)
    w = torch.where(has_any, w, torch.zeros_like(w))
    out = torch.matmul(w, vr)
    lse = torch.logsumexp(s, dim=-1)
    lse = torch.where(has_any[..., 0], lse, torch.full_like(lse, float('-inf')))
    return out, w, lse


def emit(group, name, kind, q_shape, k_shape, v_shape, table_shape=None, q_scale=1.0, scale=None, soft_cap=0.0,
         causal=False, window=None, key_padding=None, bidirectional=True, num_buckets=32, max_distance=128,
         index_mul=None):
    rng = mf.rng_for('scores/' + name)
    q = mf.rnd(rng, *q_shape, scale=q_scale)
    k = mf.rnd(rng, *k_shape)
    v = mf.rnd(rng, *v_shape)
    table = mf.rnd(rng, *table_shape) if table_shape else None
    d = q_shape[-1]
    L, S = q_shape[-2], k_shape[-2]
    spec = dict(scale=(1.0 / math.sqrt(d)) if scale is None else scale, soft_cap=soft_cap, causal=causal,
                window=window, key_padding=key_padding)

    def make_mod(t):
        if kind == 't5':
            return t5_score_mod(t, bidirectional, num_buckets, max_distance, L, S)
        if kind == 'bias':
            return bias_score_mod(t, index_mul)
        return plain_score_mod

    leaves = [mv.leaf(q), mv.leaf(k), mv.leaf(v)] + ([mv.leaf(table)] if table is not None else [])
    out, w, lse = reference(*leaves[:3], spec, make_mod(leaves[3] if table is not None else None))
    gout = mf.rnd(rng, *out.shape)
    tg = torch.from_numpy(gout)
    (out * tg).sum().backward()

    def loss(*xs):
        return (reference(xs[0], xs[1], xs[2], spec, make_mod(xs[3] if len(xs) > 3 else None))[0] * tg).sum()

    fresh = [mv.leaf(q), mv.leaf(k), mv.leaf(v)] + ([mv.leaf(table)] if table is not None else [])
    assert torch.autograd.gradcheck(loss, tuple(fresh), eps=1e-6, atol=1e-7, rtol=1e-6), name
    for label, a in [('out', out), ('weights', w)] + [('grad%d' % n, x.grad) for n, x in enumerate(leaves)]:
        assert not torch.isnan(a).any(), (name, label)
    group.case(name)
    group.string('kind', kind)
    group.tensor('q', q)
    group.tensor('k', k)
    group.tensor('v', v)
    group.scalar('scale', spec['scale'])
    group.scalar('soft_cap', soft_cap)
    group.string('causal', 'true' if causal else 'false')
    if window is not None:
        group.ints('window', window)
    if key_padding is not None:
        group.ints('key_padding', key_padding)
    if table is not None:
        group.tensor('table', table)
        group.tensor('dtable', leaves[3].grad.numpy())
    if kind == 't5':
        group.string('bidirectional', 'true' if bidirectional else 'false')
        group.ints('num_buckets', [num_buckets])
        group.ints('max_distance', [max_distance])
    if kind == 'bias':
        group.ints('index_mul', index_mul)
    group.tensor('grad_out', gout)
    group.tensor('out', out.detach().numpy())
    group.tensor('weights', w.detach().numpy())
    group.tensor('lse', lse.detach().numpy())
    group.tensor('dq', leaves[0].grad.numpy())
    group.tensor('dk', leaves[1].grad.numpy())
    group.tensor('dv', leaves[2].grad.numpy())


def emit_buckets(group, bidirectional, num_buckets, max_distance, lo, hi):
    group.case('buckets_%s_%d_%d' % ('bi' if bidirectional else 'uni', num_buckets, max_distance))
    group.string('kind', 'buckets')
    group.string('bidirectional', 'true' if bidirectional else 'false')
    group.ints('num_buckets', [num_buckets])
    group.ints('max_distance', [max_distance])
    group.ints('positions', [lo, hi])
    rel = torch.arange(lo, hi + 1)
    group.ints('buckets', relative_position_bucket(rel, bidirectional, num_buckets, max_distance).tolist())


def main():
    g = mf.Group('score_functions.txt', 'Score functions (FlexAttention score_mod): T5 buckets, table biases')
    g.lines[1] = '# Generated by %s (torch %s); do not edit.' % (SCRIPT, torch.__version__)
    # Hugging Face's buckets, over every relative position that reaches the last bucket and beyond
    for bidirectional, nb, md in [(True, 32, 128), (False, 32, 128), (True, 64, 256), (False, 16, 50),
                                  (True, 8, 20), (False, 4, 9), (True, 32, 1000), (False, 128, 4096),
                                  (True, 6, 7), (False, 3, 5)]:
        span = max(2 * md, 300)
        emit_buckets(g, bidirectional, nb, md, -span, span)
    # T5's bias alone and with everything else
    emit(g, 't5_encoder', 't5', (1, 2, 23, 4), (1, 2, 23, 4), (1, 2, 23, 3), table_shape=(2, 8),
         bidirectional=True, num_buckets=8, max_distance=20)
    emit(g, 't5_decoder_causal', 't5', (2, 3, 19, 4), (2, 3, 19, 4), (2, 3, 19, 2), table_shape=(3, 8),
         causal=True, bidirectional=False, num_buckets=8, max_distance=12)
    emit(g, 't5_decode_step_shared_table', 't5', (1, 2, 3, 4), (1, 2, 17, 4), (1, 2, 17, 3), table_shape=(1, 16),
         causal=True, bidirectional=False, num_buckets=16, max_distance=10)
    emit(g, 't5_gqa_window_cap_padding', 't5', (2, 4, 13, 4), (2, 2, 13, 4), (2, 2, 13, 3), table_shape=(4, 10),
         q_scale=2.0, soft_cap=1.5, window=[5, 0], key_padding=[13, 8], bidirectional=True, num_buckets=10,
         max_distance=9)
    emit(g, 't5_rank3_odd', 't5', (5, 7, 3), (5, 11, 3), (5, 11, 2), table_shape=(1, 12), scale=0.75,
         bidirectional=True, num_buckets=12, max_distance=6)
    # a table bias by any index, and a function without parameters
    emit(g, 'bias_index_causal_gqa', 'bias', (1, 4, 9, 3), (1, 2, 9, 3), (1, 2, 9, 3), table_shape=(7,),
         causal=True, index_mul=[3, 5, 1])
    emit(g, 'bias_index_window_padding', 'bias', (2, 2, 8, 4), (2, 2, 10, 4), (2, 2, 10, 2), table_shape=(5,),
         window=[3, 2], key_padding=[10, 4], index_mul=[1, 2, 3])
    emit(g, 'plain_cap_cos_causal', 'plain', (2, 3, 7, 4), (2, 3, 7, 4), (2, 3, 7, 3), q_scale=2.0, causal=True)
    emit(g, 'plain_with_soft_cap_gqa', 'plain', (1, 4, 6, 3), (1, 2, 8, 3), (1, 2, 8, 3), q_scale=3.0,
         soft_cap=4.0)
    path, size = g.write()
    print('wrote %s (%d cases, %d bytes)' % (path, g.count, size))


if __name__ == '__main__':
    main()
