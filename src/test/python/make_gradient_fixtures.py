#!/usr/bin/python3
"""Reference gradients for Heed's backward passes, computed in float64 with PyTorch autograd.

Run with an interpreter that has torch and numpy (written against Debian's python3-torch,
torch 1.13.0a0, numpy 1.24.2; torch 1.13 has no F.scaled_dot_product_attention, so attention is
written out with torch ops and differentiated by autograd):

    /usr/bin/python3 src/test/python/make_gradient_fixtures.py

It rewrites the grad_*.txt files in src/test/resources/dev/heed/fixtures/ and nothing else. The
output is deterministic: every case draws its inputs from its own NumPy generator, seeded from the
case name, and all arithmetic is float64 on the CPU. Inputs, weights and upstream gradients are
rounded to a few decimals, so they are exact doubles with short text.

Each value is checked before it is written: attention gradients three ways (torch autograd, a
closed-form NumPy backward, and torch.autograd.gradcheck's finite differences), forwards against
make_fixtures.py's NumPy reference, MultiheadAttention against an explicit torch composition.

Read on the Java side by src/test/java/dev/heed/attention/GradientFixtures.java (attention cases
as ready inputs), NaiveAttentionGradientsTest (the naive backward equals these to 1e-10) and
GradientFixturesTest (Heed's forwards reproduce them; finite differences of those forwards
reproduce the multi-head, layer and loss gradients).

Format
------
The format of make_fixtures.py (case / tensor / ints / scalar / string lines; doubles as Python
repr, 'inf', '-inf', 'nan'); its writer and mask builder are imported from there. Every case
stores an upstream gradient 'grad_out' shaped like the output; the stored gradients are those of
sum(grad_out * output), i.e. what a backward pass receives and returns.

grad_sdpa.txt   softmax(scale * q k^T + mask) v, for every mask kind:
    tensor q, k, v        inputs in their own shapes; batch axes broadcast as in matmul (a key or
                          value of batch size 1, or of lower rank, serves every query batch)
    string q_layout, k_layout, scalar scale, string mask, mask tensors/ints: as in sdpa.txt
    tensor grad_out       [..., L, dv]
    tensor out, weights, lse   the forward (lse -inf on a row that may attend to nothing)
    tensor dq, dk, dv     each shaped like its input (q's logical [..., L, d] shape even when it
                          is stored transposed): a broadcast input's gradient is summed back
grad_simple.txt SimpleAttention (scale 1): q [d] or [..., L, d], k, v, string mask, grad_out,
                out, weights, dq, dk, dv. For q [d] the masks apply to scores [1, S].
grad_mha.txt    torch.nn.MultiheadAttention(batch_first=True), float64, eval mode:
    scalar embed_dim, num_heads, kdim, vdim; string bias, self_attention ('true' = the test
        passes one tensor as query, key and value), mask (Heed's expression, scores [B, H, L, S],
        [1, H, L, S] unbatched), source ('torch': nn.MultiheadAttention; 'explicit': the same
        computation written with torch ops, for rows that may attend to nothing, where
        nn.MultiheadAttention gives NaN)
    string params         the state_dict names, comma-separated, in state_dict order; each is
                          also a tensor of that name (PyTorch layout, what Heed's builder takes:
                          in_proj_weight rows [0,E), [E,2E), [2E,3E) are Wq, Wk, Wv)
    tensor query, key, value, grad_out, out, weights (per head [B, H, L, S], as Heed returns)
    tensor dquery, dkey, dvalue   the gradient with respect to each argument separately (for
                          self-attention the gradient of the one shared tensor is their sum)
    tensor grad.<name>    the gradient of every parameter, keyed by its state_dict name
grad_layers.txt string kind:
    linear     string has_bias; tensor weight [out, in], bias [out] (when has_bias 'true'), x [..., in],
               grad_out, out, dx, dweight, dbias
    embedding  tensor weight [V, D]; ints ids (row-major) and ints ids_shape; grad_out, out,
               dweight (rows of repeated ids accumulate)
    embedding_padding_idx   the same with scalar padding_idx: torch.nn.Embedding(padding_idx=p)
               gives row p a zero gradient. Kept as its own kind: Heed's Embedding has no
               padding index today; these cases are for when it gets one.
grad_loss.txt   string kind:
    cross_entropy  tensor logits [N, C]; ints targets; string reduction 'mean'|'sum'; scalar
                   ignore_index when some targets are ignored (the mean is over the others, as
                   torch's); scalar loss; tensor dlogits (gradient of the loss itself)
    mse            tensor input, target; string reduction; scalar loss; tensor dinput, dtarget

Rows that may attend to nothing
-------------------------------
torch's softmax over a row of -inf gives NaN, and so do its gradients. Heed defines such a row
as output 0, weights 0, lse -inf and zero gradients. The reference here computes exactly that
with autograd: scores = where(allowed, scale*q k^T + bias, -inf); on rows with no allowed key
the scores are replaced by 0 before the softmax and the weights by 0 after it (torch.where, whose
backward sends nothing to the branch not taken), so no NaN is ever formed and those rows pass
zero gradient to q, k and v. A key blocked by the mask (or by a -inf bias) gets weight exactly 0
and therefore zero gradient too.
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf                                       # noqa: E402
from make_fixtures import (allow_every_row, bernoulli, causal_allowed, check_close,  # noqa: E402
                           none, rnd)

torch.set_default_dtype(torch.float64)
SCRIPT = 'src/test/python/make_gradient_fixtures.py'


class Group(mf.Group):
    def __init__(self, filename, title):
        super().__init__(filename, title)
        self.lines[1] = '# Generated by %s (torch %s); do not edit.' % (SCRIPT, torch.__version__)


def rng_for(name):
    # distinct from make_fixtures.py's streams for cases of the same name
    return mf.rng_for('gradients/' + name)


def sum_to_shape(x, shape):
    """Sums a broadcast result back to `shape` (what autograd does for a broadcast input)."""
    x = np.asarray(x)
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and x.shape[axis] != 1:
            x = x.sum(axis=axis, keepdims=True)
    assert x.shape == tuple(shape), (x.shape, shape)
    return x


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ----------------------------------------------------------------------------------------
# Attention with autograd, NaN-free on rows that may attend to nothing

def safe_attention(tq, tk, tv, allowed, bias, scale):
    """softmax(scale q k^T + bias) v over the allowed keys; empty rows give 0 (see docstring).

    allowed: bool array of the full score shape, already including bias != -inf;
    bias: float array of the full score shape (its -inf entries are never read).
    Returns (out, weights, lse) as torch tensors.
    """
    allowed_t = torch.from_numpy(np.ascontiguousarray(allowed))
    bias_t = torch.from_numpy(np.where(allowed, bias, 0.0))
    s = torch.matmul(tq, tk.transpose(-2, -1)) * scale + bias_t
    s = torch.where(allowed_t, s, torch.full_like(s, float('-inf')))
    has_any = allowed_t.any(dim=-1, keepdim=True).expand_as(s)
    s = torch.where(has_any, s, torch.zeros_like(s))
    w = torch.softmax(s, dim=-1)
    w = torch.where(has_any, w, torch.zeros_like(w))
    out = torch.matmul(w, tv)
    lse = torch.logsumexp(s, dim=-1)
    lse = torch.where(has_any[..., 0], lse, torch.full_like(lse, float('-inf')))
    return out, w, lse


def numpy_backward(q, k, v, weights, gout, scale):
    """The closed-form backward (FlashAttention's D = rowsum(dO * O) form), as a cross-check."""
    dP = np.matmul(gout, np.swapaxes(v, -1, -2))
    D = (weights * dP).sum(axis=-1, keepdims=True)
    dS = weights * (dP - D)
    dq = scale * np.matmul(dS, k)
    dk = scale * np.matmul(np.swapaxes(dS, -1, -2), q)
    dv = np.matmul(np.swapaxes(weights, -1, -2), gout)
    return sum_to_shape(dq, q.shape), sum_to_shape(dk, k.shape), sum_to_shape(dv, v.shape)


def attention_with_gradients(name, q, k, v, mask, scale, gout_rng, gradcheck_atol=1e-7):
    """Forward and gradients of one attention problem, checked three ways.

    gradcheck_atol: torch's finite differences (step 1e-6) are only as good as the scores'
    rounding allows; scores near 1e6 carry an ulp of 1e-10, so those cases need a looser bound.
    """
    L, S = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    score_shape = tuple(batch) + (L, S)
    allowed, bias = mask.resolve(score_shape)
    allowed = allowed & (bias != -np.inf)
    gout = rnd(gout_rng, *batch, L, v.shape[-1])

    tq, tk, tv = leaf(q), leaf(k), leaf(v)
    out, w, lse = safe_attention(tq, tk, tv, allowed, bias, scale)
    (out * torch.from_numpy(gout)).sum().backward()
    out, w, lse = out.detach().numpy(), w.detach().numpy(), lse.detach().numpy()
    dq, dk, dv = tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()
    for label, a in (('out', out), ('weights', w), ('lse', lse), ('dq', dq), ('dk', dk), ('dv', dv)):
        assert not np.isnan(a).any(), (name, label)

    # 1. the forward equals make_fixtures.py's NumPy reference
    r_out, r_w, r_lse = mf.sdpa_reference(np.broadcast_to(q, tuple(batch) + q.shape[-2:]),
                                          np.broadcast_to(k, tuple(batch) + k.shape[-2:]),
                                          np.broadcast_to(v, tuple(batch) + v.shape[-2:]),
                                          allowed, bias, scale)
    check_close(name + '/out', out, r_out, 1e-12)
    check_close(name + '/weights', w, r_w, 1e-12)
    check_close(name + '/lse', lse, r_lse, 1e-12)
    # 2. autograd equals the closed-form backward
    n_dq, n_dk, n_dv = numpy_backward(q, k, v, w, gout, scale)
    check_close(name + '/dq', dq, n_dq, 1e-12)
    check_close(name + '/dk', dk, n_dk, 1e-12)
    check_close(name + '/dv', dv, n_dv, 1e-12)
    # 3. autograd equals torch's own finite differences
    if gradcheck_atol is not None:
        tg = torch.from_numpy(gout)
        ok = torch.autograd.gradcheck(
            lambda a, b, c: (safe_attention(a, b, c, allowed, bias, scale)[0] * tg).sum(),
            (leaf(q), leaf(k), leaf(v)), eps=1e-6, atol=gradcheck_atol, rtol=1e-6)
        assert ok, name
    # 4. where every row has a key, the plain masked_fill formulation gives the same gradients
    if allowed.any(axis=-1).all():
        pq, pk, pv = leaf(q), leaf(k), leaf(v)
        s = torch.matmul(pq, pk.transpose(-2, -1)) * scale + torch.from_numpy(np.where(allowed, bias, 0.0))
        s = s.masked_fill(~torch.from_numpy(np.ascontiguousarray(allowed)), float('-inf'))
        (torch.matmul(torch.softmax(s, dim=-1), pv) * torch.from_numpy(gout)).sum().backward()
        check_close(name + '/plain dq', pq.grad.numpy(), dq, 1e-13)
        check_close(name + '/plain dk', pk.grad.numpy(), dk, 1e-13)
        check_close(name + '/plain dv', pv.grad.numpy(), dv, 1e-13)
    # empty rows: zero output and zero gradient to their query row
    empty = ~allowed.any(axis=-1)
    if empty.any():
        assert (out[empty] == 0).all() and (lse[empty] == -np.inf).all(), name
        if q.shape[:-2] == tuple(batch):
            assert (dq[empty] == 0).all(), name
    return dict(gout=gout, out=out, weights=w, lse=lse, dq=dq, dk=dk, dv=dv, allowed=allowed)


# ----------------------------------------------------------------------------------------
# grad_sdpa.txt

SDPA_CASES = []


def sdpa_case(name, q_shape, k_shape, v_shape, mask=None, scale=None, q_transposed=False,
              k_transposed=False, inputs=None, gradcheck_atol=1e-7):
    SDPA_CASES.append(dict(name=name, q_shape=q_shape, k_shape=k_shape, v_shape=v_shape,
                           mask=mask, scale=scale, q_transposed=q_transposed,
                           k_transposed=k_transposed, inputs=inputs, gradcheck_atol=gradcheck_atol))


def shapes(batch, L, S, d, dv):
    return (tuple(batch) + (L, d), tuple(batch) + (S, d), tuple(batch) + (S, dv))


def define_sdpa_cases():
    def case(name, batch, L, S, d, dv, **kw):
        sdpa_case(name, *shapes(batch, L, S, d, dv), **kw)

    # --- no mask: ranks 2, 3, 4, odd sizes
    case('none_rank2_L3_S7', (), 3, 7, 4, 3)
    case('none_rank3_b2_L7_S3', (2,), 7, 3, 3, 2)
    case('none_rank4_b2h2_L3_S7', (2, 2), 3, 7, 3, 2)
    case('none_L1_S1', (1,), 1, 1, 1, 1)
    case('none_L1_S13', (2,), 1, 13, 3, 2)
    case('none_L13_S1', (1,), 13, 1, 2, 3)
    case('none_L13_S13', (1,), 13, 13, 2, 2)

    # --- causal, bottom-right aligned
    case('causal_square_L7', (2,), 7, 7, 3, 3, mask=lambda r, b, L, S: none().causal())
    case('causal_rank2_L13_S13', (), 13, 13, 2, 1, mask=lambda r, b, L, S: none().causal())
    case('causal_L3_S7', (2,), 3, 7, 4, 3, mask=lambda r, b, L, S: none().causal())
    case('causal_L1_S13', (1,), 1, 13, 3, 2, mask=lambda r, b, L, S: none().causal())
    case('causal_L7_S3_empty_rows_rank4', (1, 2), 7, 3, 3, 2, mask=lambda r, b, L, S: none().causal())
    case('causal_L13_S7_empty_rows', (1,), 13, 7, 2, 2, mask=lambda r, b, L, S: none().causal())

    # --- allow (nonzero = may attend)
    def allow_with_empty_row(r, b, L, S):
        m = allow_every_row(r, (L, S))
        m[2, :] = 0.0
        return none().allow(m)
    case('allow_LS_empty_row', (2,), 7, 3, 4, 3, mask=allow_with_empty_row)

    def allow_per_batch(r, b, L, S):
        m = allow_every_row(r, (b[0], 1, S))
        m[1] = 0.0                                  # batch element 1 sees no key at all
        return none().allow(m)
    case('allow_B1S_empty_batch', (3,), 3, 7, 3, 2, mask=allow_per_batch)
    case('allow_S_rank4', (2, 2), 3, 7, 3, 2,
         mask=lambda r, b, L, S: none().allow(allow_every_row(r, (1, S))))

    # --- block (nonzero = may not attend)
    def block_with_empty_row(r, b, L, S):
        m = 1.0 - allow_every_row(r, (L, S), 0.6)
        m[4, :] = 1.0
        return none().block(m)
    case('block_LS_empty_row', (2,), 7, 7, 3, 3, mask=block_with_empty_row)

    def block_full(r, b, L, S):
        m = 1.0 - allow_every_row(r, tuple(b) + (L, S), 0.5)
        m[1, 0, 2, :] = 1.0
        return none().block(m)
    case('block_BHLS_rank4', (2, 2), 3, 7, 3, 2, mask=block_full)

    # --- bias, -inf entries block
    def bias_neginf(r, b, L, S):
        m = np.where(bernoulli(r, (L, S), 0.3) > 0, -np.inf, rnd(r, L, S, scale=2.0))
        m[0, 0] = 0.5                               # row 0 keeps a key
        m[3, :] = -np.inf                           # row 3 sees nothing
        return none().bias(m)
    case('bias_neginf_empty_row', (2,), 7, 13, 3, 2, mask=bias_neginf)
    case('bias_HLS_alibi_rank4', (1, 3), 7, 7, 2, 2,
         mask=lambda r, b, L, S: none().bias(
             -np.abs(np.arange(S)[None, None, :] - np.arange(L)[None, :, None])
             * np.array([0.5, 0.25, 0.125])[:, None, None]))
    case('bias_S_rank3', (3,), 3, 7, 3, 2, mask=lambda r, b, L, S: none().bias(rnd(r, S, scale=2.0)))

    # --- key padding, lengths over the leading axis, including 0
    case('keypad_rank3_zero_length', (3,), 3, 7, 3, 2,
         mask=lambda r, b, L, S: none().key_padding([7, 0, 3]))
    case('keypad_rank4_zero_length', (2, 2), 7, 3, 2, 3,
         mask=lambda r, b, L, S: none().key_padding([2, 0]))
    case('keypad_L13_S13', (2,), 13, 13, 2, 1, mask=lambda r, b, L, S: none().key_padding([13, 5]))

    # --- combinations
    case('causal_and_keypad', (3,), 3, 7, 3, 2,
         mask=lambda r, b, L, S: none().causal().key_padding([7, 2, 0]))
    case('causal_and_keypad_and_bias_and_block_rank4', (2, 2), 7, 7, 3, 2,
         mask=lambda r, b, L, S: none().causal().key_padding([7, 4]).bias(rnd(r, L, S))
         .block(bernoulli(r, (1, 1, S), 0.2)))
    case('allow_and_bias_neginf', (2,), 3, 13, 3, 2,
         mask=lambda r, b, L, S: none().allow(allow_every_row(r, (L, S), 0.7)).bias(
             np.where(np.arange(S)[None, :] == 0, -np.inf, rnd(r, L, S))))
    case('bias_and_bias_add', (2,), 7, 3, 3, 2,
         mask=lambda r, b, L, S: none().bias(rnd(r, L, S)).bias(rnd(r, 1, S, scale=3.0)))

    # --- scale
    case('scale_0.37', (2,), 7, 3, 4, 3, scale=0.37)
    case('scale_1_causal_rank4', (2, 2), 3, 3, 3, 2, scale=1.0, mask=lambda r, b, L, S: none().causal())
    case('scale_10_bias', (1,), 3, 7, 3, 3, scale=10.0, mask=lambda r, b, L, S: none().bias(rnd(r, L, S)))

    # --- broadcast inputs: their gradients are summed back to their own shapes
    sdpa_case('broadcast_kv_b1_vs_q_b2', (2, 7, 3), (1, 13, 3), (1, 13, 2))
    sdpa_case('broadcast_kv_b1_vs_q_b2_keypad', (2, 3, 4), (1, 7, 4), (1, 7, 3),
              mask=lambda r, b, L, S: none().key_padding([5, 0]))
    sdpa_case('broadcast_q_b1_vs_kv_b2_causal', (1, 7, 3), (2, 3, 3), (2, 3, 2),
              mask=lambda r, b, L, S: none().causal())
    sdpa_case('broadcast_rank4_k_rank3_v_head1', (2, 3, 3, 4), (3, 7, 4), (2, 1, 7, 3),
              mask=lambda r, b, L, S: none().causal())
    sdpa_case('broadcast_rank3_kv_rank2', (3, 3, 2), (7, 2), (7, 3), scale=0.5,
              mask=lambda r, b, L, S: none().bias(rnd(r, L, S)))

    # --- non-contiguous (transposed) inputs
    case('transposed_q_k_block', (2,), 7, 3, 3, 2, q_transposed=True, k_transposed=True,
         mask=lambda r, b, L, S: none().block(1.0 - allow_every_row(r, (L, S))))

    # --- extreme logits: scores of +-1e6 stay finite, and so do their gradients
    case('extreme_bias_pm_1e6', (2,), 3, 7, 3, 2,
         mask=lambda r, b, L, S: none().bias(r.choice([-1e6, 1e6], size=(L, S)) + rnd(r, L, S)),
         gradcheck_atol=1e-3)
    r = rng_for('extreme_inputs')
    q_big = np.array([[[1000.0, 1000.0, 1.0, 2.0], [1000.0, 1000.0, -1.0, 0.0], [1000.0, 1000.0, 3.0, -2.0]]])
    k_big = np.concatenate([np.full((1, 7, 2), 1000.0),
                            r.integers(-2, 3, size=(1, 7, 2)).astype(np.float64)], axis=-1)
    sdpa_case('extreme_scores_1e6', (1, 3, 4), (1, 7, 4), (1, 7, 2),
              inputs=(q_big, k_big, rnd(r, 1, 7, 2)), gradcheck_atol=1e-3)


def emit_sdpa(group, c):
    name = c['name']
    rng = rng_for(name)
    if c['inputs'] is not None:
        q, k, v = c['inputs']
    else:
        q, k, v = rnd(rng, *c['q_shape']), rnd(rng, *c['k_shape']), rnd(rng, *c['v_shape'])
    L, S, d = q.shape[-2], k.shape[-2], q.shape[-1]
    batch = tuple(np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]))
    mask = c['mask'](rng, batch, L, S) if c['mask'] else none()
    scale = c['scale'] if c['scale'] is not None else 1.0 / math.sqrt(d)
    r = attention_with_gradients(name, q, k, v, mask, scale, rng, c['gradcheck_atol'])

    group.case(name)
    group.string('mask', mask.expression())
    if c['scale'] is not None:
        group.scalar('scale', c['scale'])
    if c['q_transposed']:
        group.string('q_layout', 'transposed')
        group.tensor('q', np.swapaxes(q, -1, -2))
    else:
        group.tensor('q', q)
    if c['k_transposed']:
        group.string('k_layout', 'transposed')
        group.tensor('k', np.swapaxes(k, -1, -2))
    else:
        group.tensor('k', k)
    group.tensor('v', v)
    for tname, arr in mask.tensors:
        group.tensor(tname, arr)
    for iname, values in mask.int_lists:
        group.ints(iname, values)
    group.tensor('grad_out', r['gout'])
    group.tensor('out', r['out'])
    group.tensor('weights', r['weights'])
    group.tensor('lse', r['lse'])
    group.tensor('dq', r['dq'])
    group.tensor('dk', r['dk'])
    group.tensor('dv', r['dv'])
    return r


# ----------------------------------------------------------------------------------------
# grad_simple.txt: SimpleAttention, scale 1, q [d] or [..., L, d]

def emit_simple(group):
    def case(name, q, k, v, mask=None):
        rng = rng_for('simple/' + name)
        mask = mask or none()
        single = q.ndim == 1
        q2 = q[None] if single else q
        r = attention_with_gradients(name, q2, k, v, mask, 1.0, rng)
        out, w, dq, gout = r['out'], r['weights'], r['dq'], r['gout']
        if single:
            out, w, dq, gout = out[0], w[0], dq[0], gout[0]
        group.case(name)
        group.string('mask', mask.expression())
        group.tensor('q', q)
        group.tensor('k', k)
        group.tensor('v', v)
        for tname, arr in mask.tensors:
            group.tensor(tname, arr)
        group.tensor('grad_out', gout)
        group.tensor('out', out)
        group.tensor('weights', w)
        group.tensor('dq', dq)
        group.tensor('dk', r['dk'])
        group.tensor('dv', r['dv'])

    # the tutorial's first example
    case('tutorial_first_example', np.array([0.1, 0.2, 0.3]),
         np.array([[0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]), np.array([[1.0, 1.1], [1.2, 1.3]]))
    r = rng_for('simple/inputs')
    case('single_query_d3_S7', rnd(r, 3), rnd(r, 7, 3), rnd(r, 7, 2))
    case('single_query_d1_S1', rnd(r, 1), rnd(r, 1, 1), rnd(r, 1, 3))
    blk = np.zeros(13)
    blk[[0, 4, 5, 12]] = 1.0
    case('single_query_block_S13', rnd(r, 3), rnd(r, 13, 3), rnd(r, 13, 2), mask=none().block(blk))
    case('single_query_all_blocked', rnd(r, 3), rnd(r, 3, 3), rnd(r, 3, 2),
         mask=none().allow(np.zeros(3)))
    # large unscaled scores: a saturated softmax, finite gradients
    case('single_query_large_scores', np.array([6.0, 4.0, 2.0]),
         np.array([[1.0, 1.0, 1.0], [1.1, 0.9, 1.0], [0.9, 1.2, 1.0], [-1.0, -1.0, -1.0]]),
         rnd(r, 4, 2))
    case('many_queries_L3_S7_d4', rnd(r, 3, 4), rnd(r, 7, 4), rnd(r, 7, 3))
    case('many_queries_L13_S3_d1', rnd(r, 13, 1), rnd(r, 3, 1), rnd(r, 3, 2))
    case('batched_b2_L7_S3_causal', rnd(r, 2, 7, 3), rnd(r, 2, 3, 3), rnd(r, 2, 3, 2),
         mask=none().causal())


# ----------------------------------------------------------------------------------------
# grad_mha.txt

MHA_CASES = []


def mha_case(name, E, H, L, S, batch=2, kdim=None, vdim=None, bias=True, self_attn=False,
             mask=None, source='torch'):
    MHA_CASES.append(dict(name=name, E=E, H=H, L=L, S=S, batch=batch, kdim=kdim or E,
                          vdim=vdim or E, bias=bias, self_attn=self_attn, mask=mask, source=source))


def explicit_mha(params, query, key, value, E, H, allowed, bias):
    """MultiheadAttention written with torch ops (q/k/v projections, heads, safe attention, merge,
    output projection); params are leaves keyed by state_dict names."""
    if 'in_proj_weight' in params:
        wq, wk, wv = params['in_proj_weight'].split(E, dim=0)
    else:
        wq, wk, wv = params['q_proj_weight'], params['k_proj_weight'], params['v_proj_weight']
    if 'in_proj_bias' in params:
        bq, bk, bv = params['in_proj_bias'].split(E, dim=0)
        bo = params['out_proj.bias']
    else:
        bq = bk = bv = bo = None
    wo = params['out_proj.weight']
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
    B, L, _ = query.shape
    S = key.shape[1]
    hd = E // H
    lin = torch.nn.functional.linear
    q = lin(query, wq, bq).reshape(B, L, H, hd).transpose(1, 2)
    k = lin(key, wk, bk).reshape(B, S, H, hd).transpose(1, 2)
    v = lin(value, wv, bv).reshape(B, S, H, hd).transpose(1, 2)
    out, w, _ = safe_attention(q, k, v, allowed, bias, 1.0 / math.sqrt(hd))
    y = lin(out.transpose(1, 2).reshape(B, L, E), wo, bo)
    if unbatched:
        return y[0], w[0]
    return y, w


def emit_mha(group, c):
    name = c['name']
    rng = rng_for('mha/' + name)
    E, H, L, S, B = c['E'], c['H'], c['L'], c['S'], c['batch']
    kdim, vdim = c['kdim'], c['vdim']
    lead = () if B is None else (B,)
    query = rnd(rng, *lead, L, E)
    if c['self_attn']:
        assert L == S and kdim == E and vdim == E
        key = value = query
    else:
        key, value = rnd(rng, *lead, S, kdim), rnd(rng, *lead, S, vdim)

    mha = torch.nn.MultiheadAttention(E, H, bias=c['bias'], kdim=kdim, vdim=vdim,
                                      batch_first=True, dtype=torch.float64)
    mha.eval()
    std = 1.0 / math.sqrt(E)
    params = {}
    with torch.no_grad():
        for pname, p in mha.state_dict().items():
            value_ = rnd(rng, *p.shape, scale=(0.5 if 'bias' in pname else std), decimals=4)
            params[pname] = value_
            dict(mha.named_parameters())[pname].copy_(torch.from_numpy(value_))
    names = list(params)
    assert names == [n for n, _ in mha.named_parameters()], names

    # the mask: function rng, (B, H, L, S) -> (heed Mask, torch kwargs)
    heed_mask, torch_kwargs = c['mask'](rng, B or 1, H, L, S) if c['mask'] else (none(), {})
    score_shape = (B or 1, H, L, S)
    allowed, bias = heed_mask.resolve(score_shape)
    allowed = allowed & (bias != -np.inf)
    if B is None:
        allowed, bias = allowed[0], bias[0]
    gout = rnd(rng, *lead, L, E)

    # the explicit composition, always; nn.MultiheadAttention when its rows are all defined
    leaves = {n: leaf(a) for n, a in params.items()}
    tq, tk, tv = leaf(query), leaf(key), leaf(value)
    e_out, e_w = explicit_mha(leaves, tq, tk, tv, E, H, allowed, bias)
    (e_out * torch.from_numpy(gout)).sum().backward()
    result = dict(out=e_out.detach().numpy(), weights=e_w.detach().numpy(), dquery=tq.grad.numpy(),
                  dkey=tk.grad.numpy(), dvalue=tv.grad.numpy())
    result.update({'grad.' + n: leaves[n].grad.numpy() for n in names})
    if c['source'] == 'torch':
        assert allowed.any(axis=-1).all(), name
        mha.zero_grad()
        tq, tk, tv = leaf(query), leaf(key), leaf(value)
        t_out, t_w = mha(tq, tk, tv, need_weights=True, average_attn_weights=False, **torch_kwargs)
        (t_out * torch.from_numpy(gout)).sum().backward()
        torch_result = dict(out=t_out.detach().numpy(), weights=t_w.detach().numpy(),
                            dquery=tq.grad.numpy(), dkey=tk.grad.numpy(), dvalue=tv.grad.numpy())
        torch_result.update({'grad.' + n: p.grad.numpy() for n, p in mha.named_parameters()})
        assert set(torch_result) == set(result)
        for key_ in result:
            check_close(name + '/' + key_, result[key_], torch_result[key_], 1e-12)
        result = torch_result                  # nn.MultiheadAttention is the reference
        if c['self_attn']:                     # one tensor passed three times: the partials add up
            x = leaf(query)
            mha.zero_grad()
            (mha(x, x, x, need_weights=False, **torch_kwargs)[0] * torch.from_numpy(gout)).sum().backward()
            check_close(name + '/self', x.grad.numpy(),
                        result['dquery'] + result['dkey'] + result['dvalue'], 1e-12)
    else:
        assert not allowed.any(axis=-1).all(), name + ': explicit cases are for empty rows'
    for key_, a in result.items():
        assert not np.isnan(a).any(), (name, key_)

    group.case(name)
    group.string('source', c['source'])
    group.scalar('embed_dim', E)
    group.scalar('num_heads', H)
    group.scalar('kdim', kdim)
    group.scalar('vdim', vdim)
    group.string('bias', 'true' if c['bias'] else 'false')
    group.string('self_attention', 'true' if c['self_attn'] else 'false')
    group.string('mask', heed_mask.expression())
    group.string('params', ','.join(names))
    group.tensor('query', query)
    group.tensor('key', key)
    group.tensor('value', value)
    for n in names:
        group.tensor(n, params[n])
    for tname, arr in heed_mask.tensors:
        group.tensor(tname, arr)
    for iname, values in heed_mask.int_lists:
        group.ints(iname, values)
    group.tensor('grad_out', gout)
    for key_ in ['out', 'weights', 'dquery', 'dkey', 'dvalue'] + ['grad.' + n for n in names]:
        group.tensor(key_, result[key_])


def define_mha_cases():
    mha_case('self_bias_b2_L3_E6_H2', 6, 2, 3, 3, self_attn=True)
    mha_case('cross_bias_b2_L3_S5_E4_H2', 4, 2, 3, 5)
    mha_case('cross_nobias_b1_L5_S3_E6_H3', 6, 3, 5, 3, batch=1, bias=False)
    mha_case('kdim5_vdim3_bias_b2_L3_S5_E4_H2', 4, 2, 3, 5, kdim=5, vdim=3)
    mha_case('kdim3_vdim2_nobias_b1_L3_S3_E4_H4', 4, 4, 3, 3, batch=1, kdim=3, vdim=2, bias=False)
    mha_case('unbatched_self_L5_E4_H2', 4, 2, 5, 5, batch=None, self_attn=True)
    mha_case('unbatched_cross_kdim3_vdim5_L3_S5', 4, 2, 3, 5, batch=None, kdim=3, vdim=5)

    def keypad(r, B, H, L, S):
        lengths = [S, 2, 4][:B]
        pad = np.arange(S)[None, :] >= np.array(lengths)[:, None]
        return none().key_padding(lengths), dict(key_padding_mask=torch.from_numpy(pad))
    mha_case('key_padding_mask_b3_L3_S5', 4, 2, 3, 5, batch=3, mask=keypad)

    def causal(r, B, H, L, S):
        blocked = ~causal_allowed(L, S)         # torch bool attn_mask: True = may not attend
        return none().causal(), dict(attn_mask=torch.from_numpy(blocked))
    mha_case('causal_self_b2_L5_E4_H2', 4, 2, 5, 5, self_attn=True, mask=causal)
    mha_case('causal_cross_L3_S5_bottom_right', 4, 2, 3, 5, mask=causal)
    mha_case('unbatched_causal_self_L3_E4_H2', 4, 2, 3, 3, batch=None, self_attn=True, mask=causal)

    def causal_and_keypad(r, B, H, L, S):
        lengths = [5, 3][:B]
        pad = np.arange(S)[None, :] >= np.array(lengths)[:, None]
        return (none().causal().key_padding(lengths),
                dict(attn_mask=torch.from_numpy(~causal_allowed(L, S)),
                     key_padding_mask=torch.from_numpy(pad)))
    mha_case('causal_and_key_padding_b2_L5', 4, 2, 5, 5, self_attn=True, mask=causal_and_keypad)

    def float_bias(r, B, H, L, S):
        m = rnd(r, L, S)
        m[1, 2] = -np.inf
        m[0, 0] = -np.inf
        return none().bias(m), dict(attn_mask=torch.from_numpy(m))
    mha_case('float_attn_mask_neginf_L3_S5', 4, 2, 3, 5, kdim=3, vdim=3, mask=float_bias)

    # rows that may attend to nothing: nn.MultiheadAttention gives NaN, so the explicit composition
    def zero_length(r, B, H, L, S):
        return none().key_padding([3, 0]), {}
    mha_case('explicit_key_padding_zero_length', 4, 2, 3, 3, mask=zero_length, source='explicit')

    def causal_more_queries(r, B, H, L, S):
        return none().causal(), {}
    mha_case('explicit_causal_L5_S3_empty_rows', 4, 2, 5, 3, kdim=3, vdim=2, bias=True,
             mask=causal_more_queries, source='explicit')

    def blocked_row(r, B, H, L, S):
        m = 1.0 - allow_every_row(r, (L, S))
        m[1, :] = 1.0
        return none().block(m), {}
    mha_case('explicit_blocked_row_nobias', 4, 2, 3, 5, batch=1, bias=False, mask=blocked_row,
             source='explicit')


# ----------------------------------------------------------------------------------------
# grad_layers.txt

def emit_layers(group):
    def linear(name, n_in, n_out, x_shape, bias):
        rng = rng_for('linear/' + name)
        layer = torch.nn.Linear(n_in, n_out, bias=bias)
        w = rnd(rng, n_out, n_in, decimals=4)
        b = rnd(rng, n_out) if bias else None
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w))
            if bias:
                layer.bias.copy_(torch.from_numpy(b))
        x = leaf(rnd(rng, *x_shape))
        y = layer(x)
        gout = rnd(rng, *y.shape)
        (y * torch.from_numpy(gout)).sum().backward()
        out = y.detach().numpy()
        check_close(name + '/out', out, x.detach().numpy() @ w.T + (b if bias else 0.0), 1e-13)
        dx = x.grad.numpy()
        dw = layer.weight.grad.numpy()
        check_close(name + '/dx', dx, gout @ w, 1e-13)
        check_close(name + '/dw', dw, (gout.reshape(-1, n_out).T @ x.detach().numpy().reshape(-1, n_in)), 1e-13)
        group.case(name)
        group.string('kind', 'linear')
        group.string('has_bias', 'true' if bias else 'false')
        group.tensor('weight', w)
        if bias:
            group.tensor('bias', b)
        group.tensor('x', x.detach().numpy())
        group.tensor('grad_out', gout)
        group.tensor('out', out)
        group.tensor('dx', dx)
        group.tensor('dweight', dw)
        if bias:
            db = layer.bias.grad.numpy()
            check_close(name + '/db', db, gout.reshape(-1, n_out).sum(axis=0), 1e-13)
            group.tensor('dbias', db)

    linear('linear_bias_rank2_N3_in5_out4', 5, 4, (3, 5), True)
    linear('linear_nobias_rank2_N7_in3_out2', 3, 2, (7, 3), False)
    linear('linear_bias_rank3_b2_N3_in4_out3', 4, 3, (2, 3, 4), True)
    linear('linear_nobias_rank3_b2_N1_in1_out3', 1, 3, (2, 1, 1), False)
    linear('linear_bias_rank1_in3_out2', 3, 2, (3,), True)

    def embedding(name, V, D, ids, padding_idx=None):
        rng = rng_for('embedding/' + name)
        ids = np.asarray(ids, dtype=np.int64)
        layer = torch.nn.Embedding(V, D, padding_idx=padding_idx)
        w = rnd(rng, V, D)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w))
        y = layer(torch.from_numpy(ids))
        gout = rnd(rng, *y.shape)
        (y * torch.from_numpy(gout)).sum().backward()
        dw = layer.weight.grad.numpy()
        expected = np.zeros((V, D))
        np.add.at(expected, ids.ravel(), gout.reshape(-1, D))
        if padding_idx is not None:
            expected[padding_idx] = 0.0
        check_close(name + '/dweight', dw, expected, 1e-13)
        group.case(name)
        group.string('kind', 'embedding' if padding_idx is None else 'embedding_padding_idx')
        if padding_idx is not None:
            group.scalar('padding_idx', padding_idx)
        group.tensor('weight', w)
        group.ints('ids', ids.ravel())
        group.ints('ids_shape', ids.shape)
        group.tensor('grad_out', gout)
        group.tensor('out', y.detach().numpy())
        group.tensor('dweight', dw)

    embedding('embedding_repeated_ids_V7_D3', 7, 3, [2, 5, 2, 0, 2, 6])
    embedding('embedding_2d_ids_V5_D4', 5, 4, [[1, 1, 3], [4, 1, 0]])
    embedding('embedding_single_id_V1_D2', 1, 2, [0])
    embedding('embedding_padding_idx_V6_D3', 6, 3, [[0, 2, 0], [5, 0, 2]], padding_idx=0)


# ----------------------------------------------------------------------------------------
# grad_loss.txt

def emit_losses(group):
    F = torch.nn.functional

    def cross_entropy(name, logits, targets, reduction, ignore_index=None):
        logits = np.asarray(logits, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.int64)
        x = leaf(logits)
        kw = {} if ignore_index is None else dict(ignore_index=ignore_index)
        loss = F.cross_entropy(x, torch.from_numpy(targets), reduction=reduction, **kw)
        loss.backward()
        value, grad = float(loss), x.grad.numpy()
        assert math.isfinite(value) and np.isfinite(grad).all(), name
        # by hand: log-softmax with the row max subtracted; gradient softmax - onehot
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        keep = targets != (ignore_index if ignore_index is not None else -100)
        rows = np.arange(len(targets))
        # log(sum) - (x_t - max), never (max + log(sum)) - x_t: near 1e6 the latter loses 1e-10
        nll = np.where(keep, np.log(e.sum(axis=1)) - (logits[rows, np.where(keep, targets, 0)] - m[:, 0]), 0.0)
        p = e / e.sum(axis=1, keepdims=True)        # not exp(x - lse): lse near 1e6 has an ulp of 1e-10
        onehot = np.zeros_like(logits)
        onehot[rows[keep], targets[keep]] = 1.0
        g = (p - onehot) * keep[:, None]
        denom = keep.sum() if reduction == 'mean' else 1.0
        check_close(name + '/loss', value, nll.sum() / denom, 1e-12)
        check_close(name + '/grad', grad, g / denom, 1e-12)
        group.case(name)
        group.string('kind', 'cross_entropy')
        group.string('reduction', reduction)
        if ignore_index is not None:
            group.scalar('ignore_index', ignore_index)
        group.tensor('logits', logits)
        group.ints('targets', targets)
        group.scalar('loss', value)
        group.tensor('dlogits', grad)

    r = rng_for('cross_entropy')
    logits = rnd(r, 5, 7, scale=2.0)
    targets = r.integers(0, 7, size=5)
    cross_entropy('cross_entropy_mean_N5_C7', logits, targets, 'mean')
    cross_entropy('cross_entropy_sum_N5_C7', logits, targets, 'sum')
    cross_entropy('cross_entropy_N1_C1', [[0.25]], [0], 'mean')
    cross_entropy('cross_entropy_N3_C2', rnd(r, 3, 2), [1, 0, 1], 'sum')
    extreme = np.array([[1e6, -1e6, 0.0, 3.0], [-1e6, -1e6, -1e6, -1e6 + 2.0], [1e6, 1e6, -1e6, 1e6 - 1.0]])
    cross_entropy('cross_entropy_extreme_pm_1e6_mean', extreme, [1, 3, 0], 'mean')
    cross_entropy('cross_entropy_extreme_pm_1e6_sum', extreme, [0, 2, 3], 'sum')
    cross_entropy('cross_entropy_ignore_index_mean', logits, [targets[0], -100, targets[2], -100, targets[4]],
                  'mean', ignore_index=-100)
    cross_entropy('cross_entropy_ignore_index_3_sum', logits, [3, 1, 3, 0, 6], 'sum', ignore_index=3)

    def mse(name, shape, reduction):
        rng = rng_for('mse/' + name)
        a, b = leaf(rnd(rng, *shape)), leaf(rnd(rng, *shape))
        loss = F.mse_loss(a, b, reduction=reduction)
        loss.backward()
        diff = a.detach().numpy() - b.detach().numpy()
        denom = diff.size if reduction == 'mean' else 1.0
        check_close(name + '/loss', float(loss), (diff ** 2).sum() / denom, 1e-13)
        check_close(name + '/grad', a.grad.numpy(), 2 * diff / denom, 1e-13)
        group.case(name)
        group.string('kind', 'mse')
        group.string('reduction', reduction)
        group.tensor('input', a.detach().numpy())
        group.tensor('target', b.detach().numpy())
        group.scalar('loss', float(loss))
        group.tensor('dinput', a.grad.numpy())
        group.tensor('dtarget', b.grad.numpy())

    mse('mse_mean_3x5', (3, 5), 'mean')
    mse('mse_sum_3x5', (3, 5), 'sum')
    mse('mse_mean_rank3_2x1x3', (2, 1, 3), 'mean')
    mse('mse_mean_rank1_7', (7,), 'mean')


# ----------------------------------------------------------------------------------------

def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    groups = []

    define_sdpa_cases()
    g = Group('grad_sdpa.txt', 'Scaled dot-product attention: forward and gradients (torch autograd, float64)')
    empty_cases = 0
    for c in SDPA_CASES:
        r = emit_sdpa(g, c)
        empty_cases += int(not r['allowed'].any(axis=-1).all())
    assert empty_cases >= 8, empty_cases
    groups.append(g)

    g = Group('grad_simple.txt', 'SimpleAttention (scale 1): forward and gradients (torch autograd, float64)')
    emit_simple(g)
    groups.append(g)

    define_mha_cases()
    g = Group('grad_mha.txt', 'MultiheadAttention: forward and gradients of inputs and parameters (float64)')
    for c in MHA_CASES:
        emit_mha(g, c)
    groups.append(g)

    g = Group('grad_layers.txt', 'Linear and Embedding: forward and gradients (torch autograd, float64)')
    emit_layers(g)
    groups.append(g)

    g = Group('grad_loss.txt', 'Cross-entropy and mean squared error: loss and gradients (float64)')
    emit_losses(g)
    groups.append(g)

    total = 0
    for g in groups:
        path, size = g.write()
        total += size
        print('%-16s %3d cases %9d bytes' % (g.filename, g.count, size))
    print('%-16s %3s       %9d bytes' % ('total', '', total))
    assert total < 400_000, total


if __name__ == '__main__':
    main()
