#!/usr/bin/python3
"""Reference fixtures for Heed's applied attention, computed in float64 with PyTorch and NumPy.

Run with an interpreter that has torch (1.13 is enough) and numpy:

    /usr/bin/python3 src/test/python/make_application_fixtures.py

It rewrites src/test/resources/dev/heed/fixtures/applications.txt, in the text format that
make_fixtures.py documents (case / tensor / ints / scalar / string lines), read by
src/test/java/dev/heed/testing/Fixtures.java. Each case draws from its own generator seeded
from the case name, so the output is deterministic and cases are independent.

Every quantity is computed twice — once with torch's own ops (tanh, softmax, logsumexp,
masked_fill, an explicit concatenation for Luong's concat score) and once with plain NumPy loops
written from the papers' formulas — and the two must agree to 1e-12 before anything is written.
Rows that may attend to nothing are where torch gives NaN; the contract there is weights 0,
context 0, logSumExp -inf, and the NumPy loops produce exactly that.

Conventions
-----------
string kind         'pooling' | 'alignment' | 'hierarchical' | 'metrics'

pooling (AdditiveAttentionPooling, u_i = v^T tanh(W x_i + b), softmax over the sequence):
    tensor x            [B, n, E] or [n, E]
    string x_layout     'transposed' when x is stored as [B, E, n]: the test wraps it and calls
                        transpose(-2, -1) to get a non-contiguous [B, n, E] view
    string form         'additive' (tensor w [H, E], v [H], and b [H] when string bias is 'true')
                        or 'single_vector' (tensor w [E]: u_i = tanh(w . x_i), the tutorial's form)
    string padded       'true' when the case gives ints lengths (real positions per sequence)
    tensor scores       unmasked u, [B, n] or [n]
    tensor context, weights, lse     [B, E], [B, n], [B] (no B when unbatched)

alignment (AlignmentAttention; decoder h_t, encoder h_s):
    string score        'dot' | 'general' | 'concat' | 'additive'
    tensor decoder      [B, T, Hd], [B, Hd] (one step) or [T, Hd]
    tensor encoder      [B, S, He] or [S, He]
    general:   tensor wa [Hd, He]                 h_t^T W_a h_s
    concat:    tensor wa [H, Hd+He], va [H], (ba [H])   v_a^T tanh(W_a [h_t; h_s] + b_a)
    additive:  tensor wa [H, Hd], ua [H, He], va [H], (ba, bu [H])   v_a^T tanh(W_a h_t + b_a + U_a h_s + b_u)
    string mask         a FixtureMasks expression ('none', 'keyPadding:source_lengths',
                        'causal&keyPadding:source_lengths', ...) broadcast against the scores
                        as AlignmentAttention sees them ([B, T, S]; [B, 1, S] for one step)
    ints source_lengths for keyPadding
    tensor scores       unmasked, shaped like the weights
    tensor context, weights, lse

hierarchical (HierarchicalAttention over an Embedding and two poolings):
    tensor table [V, E]; tensor word_w [H, E], word_b [H], word_v [H]; likewise sentence_*
    ints ids            [B, N, W] flattened; ints ids_shape  B N W
    ints word_counts    [B, N] flattened; ints sentence_counts [B]
    tensor document [B, E], sentence_vectors [B, N, E], sentence_weights [B, N], word_weights [B, N, W]

metrics (Metrics.normalizedEntropy, topKMass, meanAttentionDistance, headMeanAttentionDistance):
    tensor weights      [..., L, S]
    tensor normalized_entropy [..., L]; scalar k; tensor top_k_mass [..., L]
    tensor mean_distance [..., L]      sum_j w_ij |i + (S - L) - j|
    tensor head_mean_distance [H]      only for rank 3 or 4 weights; rows of all zeros left out
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import Group, causal_allowed, check_close, rng_for, rnd  # noqa: E402

torch.set_default_dtype(torch.float64)

TOL = 1e-12


# ----------------------------------------------------------------------------------------
# Masked softmax and weighted sum: torch, and NumPy loops

def attend_torch(scores, values, allowed):
    """scores [..., L, S], values [..., S, dv], allowed bool broadcastable to the scores."""
    s = torch.from_numpy(np.ascontiguousarray(scores))
    s = s.masked_fill(~torch.from_numpy(np.broadcast_to(allowed, s.shape).copy()), float('-inf'))
    w = torch.nan_to_num(torch.softmax(s, dim=-1), nan=0.0)
    out = torch.matmul(w, torch.from_numpy(np.ascontiguousarray(values)))
    return out.numpy(), w.numpy(), torch.logsumexp(s, dim=-1).numpy()


def attend_loops(scores, values, allowed):
    """The same, one row at a time: stable softmax over the allowed keys, then sum w_j v_j."""
    scores = np.asarray(scores)
    allowed = np.broadcast_to(allowed, scores.shape)
    lead = scores.shape[:-2]
    L, S = scores.shape[-2:]
    dv = values.shape[-1]
    values = np.broadcast_to(values, lead + (S, dv))
    out = np.zeros(lead + (L, dv))
    weights = np.zeros(scores.shape)
    lse = np.full(lead + (L,), -np.inf)
    for idx in np.ndindex(*lead):
        for i in range(L):
            keys = [j for j in range(S) if allowed[idx + (i, j)]]
            if not keys:
                continue
            m = max(scores[idx + (i, j)] for j in keys)
            total = sum(np.exp(scores[idx + (i, j)] - m) for j in keys)
            for j in keys:
                w = np.exp(scores[idx + (i, j)] - m) / total
                weights[idx + (i, j)] = w
                out[idx + (i,)] += w * values[idx + (j,)]
            lse[idx + (i,)] = m + np.log(total)
    return out, weights, lse


def attend(name, scores, values, allowed):
    a = attend_torch(scores, values, allowed)
    b = attend_loops(scores, values, allowed)
    for what, x, y in zip(('context', 'weights', 'lse'), a, b):
        check_close(name + ' ' + what, x, y, TOL)
    assert not any(np.isnan(x).any() for x in a), name
    return a


def write_result(g, scores, context, weights, lse):
    for name, value in (('scores', scores), ('context', context), ('weights', weights), ('lse', lse)):
        g.tensor(name, value)


def padding_allowed(lengths, S):
    """[B, S] bool: position j of sequence b is real iff j < lengths[b]."""
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


# ----------------------------------------------------------------------------------------
# Additive pooling

def pooling_scores_torch(x, w, b, v):
    t = torch.from_numpy(np.ascontiguousarray(x))
    z = t @ torch.from_numpy(w).T
    if b is not None:
        z = z + torch.from_numpy(b)
    return (torch.tanh(z) @ torch.from_numpy(v)).numpy()


def pooling_scores_loops(x, w, b, v):
    lead = x.shape[:-1]
    u = np.zeros(lead)
    for idx in np.ndindex(*lead):
        for h in range(w.shape[0]):
            z = sum(w[h, c] * x[idx + (c,)] for c in range(w.shape[1])) + (0.0 if b is None else b[h])
            u[idx] += v[h] * np.tanh(z)
    return u


def emit_pooling(g, name, B, n, E, H, lengths=None, bias=True, transposed=False, form='additive',
                 x=None, scale=1.0, v_scale=1.0):
    rng = rng_for('pooling_' + name)
    unbatched = B is None
    shape = (n, E) if unbatched else (B, n, E)
    if x is None:
        x = rnd(rng, *shape, scale=scale)
    if form == 'single_vector':
        w_vec = rnd(rng, E)
        w, b, v = w_vec[None, :], None, np.ones(1)
    else:
        w = rnd(rng, H, E, scale=1 / np.sqrt(E))
        b = rnd(rng, H, scale=0.3) if bias else None
        v = rnd(rng, H, scale=v_scale)
    u = pooling_scores_torch(x, w, b, v)
    check_close(name + ' scores', u, pooling_scores_loops(x, w, b, v), TOL)
    x3, u3 = (x[None], u[None]) if unbatched else (x, u)
    batch = x3.shape[0]
    allowed = np.ones((batch, n), bool) if lengths is None else padding_allowed(lengths, n)
    ctx, weights, lse = attend(name, u3[:, None, :], x3, allowed[:, None, :])
    ctx, weights, lse = ctx[:, 0], weights[:, 0], lse[:, 0]
    if unbatched:
        ctx, weights, lse = ctx[0], weights[0], lse[0]

    g.case('pooling_' + name)
    g.string('kind', 'pooling')
    g.string('form', form)
    if transposed:
        g.string('x_layout', 'transposed')
        g.tensor('x', np.swapaxes(x, -1, -2))
    else:
        g.tensor('x', x)
    if form == 'single_vector':
        g.tensor('w', w_vec)
    else:
        g.string('bias', 'true' if bias else 'false')
        g.tensor('w', w)
        if bias:
            g.tensor('b', b)
        g.tensor('v', v)
    g.string('padded', 'false' if lengths is None else 'true')
    if lengths is not None:
        g.ints('lengths', lengths)
    write_result(g, u, ctx, weights, lse)


def define_pooling(g):
    emit_pooling(g, 'tiny_1x1x1_h1', 1, 1, 1, 1)
    emit_pooling(g, 'b3_n7_e13_h5_padded', 3, 7, 13, 5, lengths=[7, 0, 3])
    emit_pooling(g, 'b2_n13_e3_h7_no_bias', 2, 13, 3, 7, bias=False, lengths=[13, 1])
    emit_pooling(g, 'unbatched_n5_e4_h3', None, 5, 4, 3)
    emit_pooling(g, 'unbatched_n7_e3_h2_padded', None, 7, 3, 2, lengths=[4])
    emit_pooling(g, 'b2_n7_e5_h3_transposed_x', 2, 7, 5, 3, lengths=[5, 7], transposed=True)
    # scores of about ±1e5: exp overflows in a naive softmax; the stable one is exact
    emit_pooling(g, 'b2_n5_e4_h3_huge_scores', 2, 5, 4, 3, v_scale=1e5)
    # The tutorial's TextClassificationAttention: u_i = tanh(x_i . w), one sequence of 5 tokens
    # (the embeddings of ids 1, 45, 232, 876, 23 drawn here in place of a 10000-row table).
    emit_pooling(g, 'tutorial_single_vector_n5_e16', None, 5, 16, 1, form='single_vector')
    emit_pooling(g, 'single_vector_b3_n7_e3_padded', 3, 7, 3, 1, form='single_vector', lengths=[2, 7, 0])


# ----------------------------------------------------------------------------------------
# Alignment

def alignment_scores_torch(score, dec, enc, p):
    """dec [B, T, Hd], enc [B, S, He] -> [B, T, S], each formula as the paper writes it."""
    d = torch.from_numpy(np.ascontiguousarray(dec))
    e = torch.from_numpy(np.ascontiguousarray(enc))
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    if score == 'dot':
        return torch.bmm(d, e.transpose(1, 2)).numpy()
    if score == 'general':
        return torch.einsum('btd,de,bse->bts', d, t['wa'], e).numpy()
    B, T, Hd = d.shape
    S, He = e.shape[1], e.shape[2]
    if score == 'concat':
        cat = torch.cat([d[:, :, None, :].expand(B, T, S, Hd), e[:, None, :, :].expand(B, T, S, He)], dim=-1)
        z = cat @ t['wa'].T
        if 'ba' in t:
            z = z + t['ba']
        return (torch.tanh(z) @ t['va']).numpy()
    z = (d @ t['wa'].T)[:, :, None, :] + (e @ t['ua'].T)[:, None, :, :]
    if 'ba' in t:
        z = z + t['ba'] + t['bu']
    return (torch.tanh(z) @ t['va']).numpy()


def alignment_scores_loops(score, dec, enc, p):
    B, T, _ = dec.shape
    S = enc.shape[1]
    out = np.zeros((B, T, S))
    for b in range(B):
        for i in range(T):
            for j in range(S):
                ht, hs = dec[b, i], enc[b, j]
                if score == 'dot':
                    s = float(np.dot(ht, hs))
                elif score == 'general':
                    s = sum(ht[r] * sum(p['wa'][r, c] * hs[c] for c in range(len(hs))) for r in range(len(ht)))
                elif score == 'concat':
                    cat = np.concatenate([ht, hs])
                    s = sum(p['va'][h] * np.tanh(np.dot(p['wa'][h], cat) + p.get('ba', np.zeros(len(p['va'])))[h])
                            for h in range(len(p['va'])))
                else:
                    ba = p.get('ba', np.zeros(len(p['va'])))
                    bu = p.get('bu', np.zeros(len(p['va'])))
                    s = sum(p['va'][h] * np.tanh(np.dot(p['wa'][h], ht) + ba[h] + np.dot(p['ua'][h], hs) + bu[h])
                            for h in range(len(p['va'])))
                out[b, i, j] = s
    return out


def emit_alignment(g, name, score, B, T, S, Hd, He, H=0, lengths=None, causal=False, biases=False,
                   single_step=False, scale=1.0, params=None):
    rng = rng_for('alignment_' + name)
    unbatched = B is None
    b3 = 1 if unbatched else B
    dec = rnd(rng, b3, T, Hd, scale=scale)
    enc = rnd(rng, b3, S, He, scale=scale)
    p = {}
    if params is not None:
        p = params(rng)
    elif score == 'general':
        p['wa'] = rnd(rng, Hd, He, scale=1 / np.sqrt(He))
    elif score == 'concat':
        p['wa'] = rnd(rng, H, Hd + He, scale=1 / np.sqrt(Hd + He))
        p['va'] = rnd(rng, H)
        if biases:
            p['ba'] = rnd(rng, H, scale=0.3)
    elif score == 'additive':
        p['wa'] = rnd(rng, H, Hd, scale=1 / np.sqrt(Hd))
        p['ua'] = rnd(rng, H, He, scale=1 / np.sqrt(He))
        p['va'] = rnd(rng, H)
        if biases:
            p['ba'] = rnd(rng, H, scale=0.3)
            p['bu'] = rnd(rng, H, scale=0.3)
    scores = alignment_scores_torch(score, dec, enc, p)
    check_close(name + ' scores', scores, alignment_scores_loops(score, dec, enc, p), TOL)

    allowed = np.ones((b3, T, S), bool)
    terms = []
    if causal:
        allowed &= causal_allowed(T, S)[None]
        terms.append('causal')
    if lengths is not None:
        allowed &= padding_allowed(lengths, S)[:, None, :]
        terms.append('keyPadding:source_lengths')
    ctx, weights, lse = attend(name, scores, enc, allowed)

    squeeze = []
    if single_step:
        assert T == 1 and not causal
        squeeze.append(1)
    if unbatched:
        squeeze.append(0)
    for axis in squeeze:
        dec, scores, ctx, weights, lse = (np.squeeze(a, axis) for a in (dec, scores, ctx, weights, lse))
    if unbatched:
        enc = enc[0]

    g.case('alignment_' + name)
    g.string('kind', 'alignment')
    g.string('score', score)
    g.tensor('decoder', dec)
    g.tensor('encoder', enc)
    for k in ('wa', 'ua', 'va', 'ba', 'bu'):
        if k in p:
            g.tensor(k, p[k])
    g.string('mask', '&'.join(terms) if terms else 'none')
    if lengths is not None:
        g.ints('source_lengths', lengths)
    write_result(g, scores, ctx, weights, lse)


def define_alignment(g):
    for score in ('dot', 'general', 'concat', 'additive'):
        same = score == 'dot'
        emit_alignment(g, score + '_tiny', score, 1, 1, 1, 1, 1, H=1)
        emit_alignment(g, score + '_b3_t7_s13_padded', score, 3, 7, 13, 5, 5 if same else 3, H=7,
                       lengths=[13, 0, 6], biases=score in ('concat', 'additive'))
        emit_alignment(g, score + '_b2_step_s7', score, 2, 1, 7, 3, 3 if same else 4, H=5,
                       lengths=[7, 2], single_step=True)
        emit_alignment(g, score + '_unbatched_t5_s3', score, None, 5, 3, 4, 4 if same else 6, H=3)
    emit_alignment(g, 'general_b2_t4_s6_causal_padded', 'general', 2, 4, 6, 3, 5, lengths=[6, 2], causal=True)
    emit_alignment(g, 'additive_b2_t3_s5_causal', 'additive', 2, 3, 5, 2, 3, H=4, causal=True)
    # dot scores of about ±1e4: a naive softmax overflows, the stable one gives exact weights
    emit_alignment(g, 'dot_b2_t3_s5_huge_scores', 'dot', 2, 3, 5, 4, 4, scale=60.0, lengths=[5, 4])

    # The tutorial's TranslationAttention: projected = h_t W, scores = h_s . projected = h_t^T W h_s,
    # one decoder state over a 5-word source (hidden 8 instead of 100 to keep the file small).
    emit_alignment(g, 'tutorial_translation_general', 'general', None, 1, 5, 8, 8, single_step=True)


# ----------------------------------------------------------------------------------------
# Hierarchical

def emit_hierarchical(g, name, B, N, W, V, E, H, word_counts, sentence_counts):
    rng = rng_for('hierarchical_' + name)
    table = rnd(rng, V, E)
    params = {}
    for level in ('word', 'sentence'):
        params[level + '_w'] = rnd(rng, H, E, scale=1 / np.sqrt(E))
        params[level + '_b'] = rnd(rng, H, scale=0.3)
        params[level + '_v'] = rnd(rng, H)
    ids = rng.integers(0, V, size=(B, N, W))
    word_counts = np.asarray(word_counts)
    sentence_counts = np.asarray(sentence_counts)
    real_word = np.arange(W)[None, None, :] < word_counts[:, :, None]
    real_word &= (np.arange(N) < sentence_counts[:, None])[:, :, None]
    ids = np.where(real_word, ids, -1)                    # padding ids are never looked up

    emb = table[np.where(real_word, ids, 0)]              # [B, N, W, E]
    flat = emb.reshape(B * N, W, E)
    u_w = pooling_scores_torch(flat, params['word_w'], params['word_b'], params['word_v'])
    sv, ww, _ = attend(name + ' words', u_w[:, None, :], flat, real_word.reshape(B * N, 1, W))
    sentence_vectors = sv[:, 0].reshape(B, N, E)
    word_weights = ww[:, 0].reshape(B, N, W)
    real_sentence = real_word.any(axis=-1)                # [B, N]
    u_s = pooling_scores_torch(sentence_vectors, params['sentence_w'], params['sentence_b'], params['sentence_v'])
    doc, sw, _ = attend(name + ' sentences', u_s[:, None, :], sentence_vectors, real_sentence[:, None, :])

    g.case('hierarchical_' + name)
    g.string('kind', 'hierarchical')
    g.tensor('table', table)
    for k, v in params.items():
        g.tensor(k, v)
    g.ints('ids', ids.ravel())
    g.ints('ids_shape', [B, N, W])
    g.ints('word_counts', word_counts.ravel())
    g.ints('sentence_counts', sentence_counts)
    g.tensor('document', doc[:, 0])
    g.tensor('sentence_vectors', sentence_vectors)
    g.tensor('sentence_weights', sw[:, 0])
    g.tensor('word_weights', word_weights)


def define_hierarchical(g):
    emit_hierarchical(g, 'b1_n3_w4_full', 1, 3, 4, 9, 5, 3, [[4, 4, 4]], [3])
    # document 0 has an empty sentence inside its count; document 1 has 2 real sentences; document 2 none
    emit_hierarchical(g, 'b3_n5_w7_padded', 3, 5, 7, 23, 6, 4,
                      [[7, 0, 3, 1, 5], [2, 7, 4, 4, 4], [3, 3, 3, 3, 3]], [5, 2, 0])


# ----------------------------------------------------------------------------------------
# Metrics

def emit_metrics(g, name, weights, k):
    w = np.asarray(weights, dtype=np.float64)
    S = w.shape[-1]
    L = w.shape[-2]
    terms = np.where(w > 0, -w * np.log(np.where(w > 0, w, 1.0)), 0.0)
    entropy = terms.sum(axis=-1)
    normalized = entropy / np.log(S) if S > 1 else np.zeros_like(entropy)
    top = -np.sort(-w, axis=-1)[..., :k].sum(axis=-1)
    position = np.arange(L)[:, None] + (S - L)
    distance = (w * np.abs(position - np.arange(S)[None, :])).sum(axis=-1)
    g.case('metrics_' + name)
    g.string('kind', 'metrics')
    g.tensor('weights', w)
    g.tensor('normalized_entropy', normalized)
    g.scalar('k', k)
    g.tensor('top_k_mass', top)
    g.tensor('mean_distance', distance)
    if w.ndim in (3, 4):
        w4 = w if w.ndim == 4 else w[None]
        d4 = distance if w.ndim == 4 else distance[None]
        real = w4.sum(axis=-1) != 0                        # [B, H, L]
        heads = []
        for h in range(w4.shape[1]):
            rows = d4[:, h][real[:, h]]
            heads.append(rows.mean() if rows.size else 0.0)
        g.tensor('head_mean_distance', np.array(heads))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def define_metrics(g):
    rng = rng_for('metrics_rows')
    emit_metrics(g, 'softmax_4x7', softmax(rng.standard_normal((4, 7)) * 2), 3)
    emit_metrics(g, 'one_hot_and_uniform_3x5', np.array([np.eye(5)[2], np.full(5, 0.2), np.eye(5)[0]]), 2)
    emit_metrics(g, 'single_key_3x1', np.ones((3, 1)), 1)
    emit_metrics(g, 'cross_l3_s7', softmax(rng.standard_normal((3, 7))), 7)
    w = softmax(rng.standard_normal((2, 3, 5, 5)) * 3)
    w[1, 2, 4, :] = 0.0                                    # a query that attended to nothing
    emit_metrics(g, 'heads_2x3x5x5_with_blocked_row', w, 2)
    causal = np.where(causal_allowed(4, 6)[None], rng.random((3, 4, 6)), 0.0)
    emit_metrics(g, 'causal_heads_3x4x6', causal / causal.sum(axis=-1, keepdims=True), 1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.normpath(os.path.join(here, '..', 'resources', 'dev', 'heed', 'fixtures'))
    os.makedirs(out_dir, exist_ok=True)
    g = Group('applications.txt', 'Applied attention reference cases: pooling, alignment, hierarchical, metrics')
    g.lines[1] = '# Generated by src/test/python/make_application_fixtures.py; do not edit.'
    define_pooling(g)
    define_alignment(g)
    define_hierarchical(g)
    define_metrics(g)
    path = os.path.join(out_dir, g.filename)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(g.lines) + '\n')
    size = os.path.getsize(path)
    print('%-18s %3d cases %9d bytes' % (g.filename, g.count, size))
    assert size < 300_000


if __name__ == '__main__':
    main()
