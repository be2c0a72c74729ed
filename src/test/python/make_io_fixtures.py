#!/usr/bin/python3
"""File-format fixtures for dev.heed.io, written by NumPy and PyTorch.

Run with an interpreter that has numpy and torch (torch 1.13 is enough):

    /usr/bin/python3 src/test/python/make_io_fixtures.py

It rewrites src/test/resources/dev/heed/io/. The output is deterministic (fixed seeds, no
timestamps in the .npz files' content that tests look at).

What it writes
--------------
npy/<case>.npy       one small array per case, written by numpy.lib.format.write_array, covering
                     every dtype Heed reads (float64/32/16, int8-64, uint8-64, bool), both byte
                     orders, versions 1.0, 2.0 and 3.0, C and Fortran order, 0-d and empty arrays.
                     A few headers numpy never writes are made by editing numpy's own bytes:
                     '=' (native) byte order, and Python 2's '3L' long integers in the shape.
npy_expected.npz     for each case, the same values as float64 in C order (numpy's astype), the
                     expected result of reading the case.
arrays.npz           np.savez (entries stored), arrays_compressed.npz np.savez_compressed
                     (entries deflated), with the same arrays: 'a' [2, 3], 'b' Fortran-order
                     int32, 'c' 0-d, 'sub/d' empty [0, 4].
float64_2x3.npy      what np.save writes for np.arange(6.0).reshape(2, 3) / 4: Heed's writer must
                     produce exactly these bytes.

mha_packed.npz / .safetensors
                     the state_dict of a seeded torch.nn.MultiheadAttention(8, 2) in float64
                     (packed in_proj_weight, biases).
mha_kvdim.npz        the state_dict of MultiheadAttention(6, 3, kdim=5, vdim=4, bias=False)
                     (separate q/k/v_proj_weight, no biases).
encoder_layer_f32.safetensors
                     the state_dict of a torch.nn.TransformerEncoderLayer(d_model=8, nhead=2,
                     dim_feedforward=12) kept in float32 (dtype F32): its attention sits under the
                     prefix 'self_attn.', among other layers' parameters.
mha_io.npz           inputs and torch's outputs, keyed '<case>.<name>':
                     packed.query [2,4,8], packed.key/value [2,5,8], packed.attn_mask [4,5] and
                     packed.key_padding_mask [2,5] (1.0 = blocked, torch's bool convention;
                     no row is fully blocked), packed.output [2,4,8], packed.weights [2,2,4,5]
                     (per head, average_attn_weights=False);
                     kvdim.query [2,3,6], kvdim.key [2,4,5], kvdim.value [2,4,4], kvdim.output,
                     kvdim.weights (no mask);
                     encoder.x [5,8] unbatched self-attention through the encoder layer's
                     self_attn (run in float64 with the float32 weights), encoder.output [5,8],
                     encoder.weights [2,5,5].
dtypes.safetensors   one tensor per safetensors dtype (F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32
                     U16 U8 BOOL) named 'x_<DTYPE>', each next to 'expected_<DTYPE>' (F64, its exact
                     value), plus an empty 'empty' [0, 3] F32 and a 0-d 'scalar' F64; metadata
                     {'format': 'pt', 'note': 'dtype coverage'}.

Safetensors files are written by hand (the safetensors package is not installed here; the
format is simple): an 8-byte little-endian unsigned header length N, N bytes of JSON padded
with spaces to a multiple of 8, then the little-endian data. As in real files, the header lists
names alphabetically (json.dumps(sort_keys=True)) while the data is laid out in another order
(the state_dict's, or a shuffled one), so a reader must not assume they agree.

Checking Heed's writers (manual, while developing)
---------------------------------------------------
    mvn -q test -Dtest=NumpyReadsHeedFilesTest -Dheed.io.exportDir=/tmp/heed-export
    /usr/bin/python3 src/test/python/make_io_fixtures.py --verify /tmp/heed-export

The Java test writes .npy/.npz/.safetensors files with Heed; --verify loads them with
numpy.load, a hand-written safetensors reader and torch's load_state_dict(strict=True), and
checks every value and torch's output for the exported module.
"""

import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, '..', 'resources', 'dev', 'heed', 'io'))


# ----------------------------------------------------------------------------------------
# Safetensors by hand

ST_DTYPES = {
    np.dtype('<f8'): 'F64', np.dtype('<f4'): 'F32', np.dtype('<f2'): 'F16',
    np.dtype('<i8'): 'I64', np.dtype('<i4'): 'I32', np.dtype('<i2'): 'I16', np.dtype('i1'): 'I8',
    np.dtype('<u8'): 'U64', np.dtype('<u4'): 'U32', np.dtype('<u2'): 'U16', np.dtype('u1'): 'U8',
    np.dtype('?'): 'BOOL',
}


def write_safetensors(path, tensors, layout_order, metadata=None):
    """tensors: name -> (dtype_name, shape, raw little-endian bytes). The header lists the names
    sorted; the data is laid out in layout_order."""
    assert sorted(layout_order) == sorted(tensors)
    header = {}
    offset = 0
    for name in layout_order:
        dtype, shape, raw = tensors[name]
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, sort_keys=True, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for name in layout_order:
            f.write(tensors[name][2])


def st_entry(arr):
    arr = np.array(arr, order='C')  # not ascontiguousarray, which turns 0-d into 1-d
    dt = arr.dtype.newbyteorder('<') if arr.dtype.itemsize > 1 else arr.dtype
    return ST_DTYPES[np.dtype(dt)], arr.shape, arr.astype(dt).tobytes(order='C')


def state_dict_safetensors(path, state_dict, metadata=None):
    tensors = {k: st_entry(v.detach().numpy()) for k, v in state_dict.items()}
    write_safetensors(path, tensors, list(state_dict.keys()), metadata)


def read_safetensors(path):
    """A minimal reader, for --verify: returns (tensors as float64 arrays, metadata)."""
    names = {v: k for k, v in ST_DTYPES.items()}
    with open(path, 'rb') as f:
        blob = f.read()
    n = struct.unpack('<Q', blob[:8])[0]
    header = json.loads(blob[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        out[name] = np.frombuffer(data[b:e], dtype=names[info['dtype']]).reshape(info['shape']).astype(np.float64)
    return out, meta, list(header.keys())


# ----------------------------------------------------------------------------------------
# .npy cases

def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=False)
    return buf.getvalue()


def npy_cases():
    """name -> (file bytes, expected float64 array)."""
    cases = {}
    rng = np.random.default_rng(5)

    def add(name, arr, version=None, raw=None):
        cases[name] = (raw if raw is not None else npy_bytes(arr, version), np.asarray(arr).astype(np.float64))

    f = np.round(rng.standard_normal((2, 3)), 3)
    half_specials = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.103515625e-05, 5.960464477539063e-08,
                              -5.960464477539063e-08, 3.0517578125e-05, np.inf, -np.inf, np.nan, 0.1, 1 / 3],
                             dtype=np.float16)
    for order in '<>':
        tag = 'le' if order == '<' else 'be'
        add('f8_' + tag, f.astype(order + 'f8'))
        add('f4_' + tag, np.array([[1.5, -0.1, 3.4028234663852886e38], [-1e-45, np.inf, np.nan]], order + 'f4'))
        add('f2_' + tag, half_specials.astype(order + 'f2'))
        add('i2_' + tag, np.array([0, 1, -1, 32767, -32768], order + 'i2'))
        add('i4_' + tag, np.array([[0, 2147483647], [-2147483648, -7]], order + 'i4'))
        add('i8_' + tag, np.array([0, -1, 2 ** 53 + 1, -(2 ** 63), 2 ** 63 - 1, 123456789012345], order + 'i8'))
        add('u2_' + tag, np.array([0, 1, 65535, 40000], order + 'u2'))
        add('u4_' + tag, np.array([0, 4294967295, 2147483648], order + 'u4'))
        add('u8_' + tag, np.array([0, 1, 2 ** 53 + 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64 - 2049, 2 ** 53 + 3],
                                  order + 'u8'))
    add('i1', np.array([[0, 127], [-128, -1]], 'i1'))
    add('u1', np.array([0, 1, 128, 255], 'u1'))
    add('b1', np.array([[True, False, True], [False, False, True]]))
    # layouts
    add('f8_fortran', np.asfortranarray(np.arange(24.0).reshape(2, 3, 4) / 8))
    add('i2_fortran_be', np.asfortranarray(np.arange(-6, 6).reshape(3, 4).astype('>i2')))
    add('f8_1d', np.array([1.0, 2.0, 3.0]))
    add('f8_0d', np.array(2.5))
    add('i4_0d', np.array(-3, '<i4'))
    add('f8_empty', np.zeros((0, 3)))
    add('u1_empty_1d', np.zeros((0,), 'u1'))
    add('f4_empty_fortran', np.asfortranarray(np.zeros((3, 0, 2), '<f4')))
    # format versions
    add('f8_v2', f, version=(2, 0))
    add('f4_be_v3', f.astype('>f4'), version=(3, 0))
    # headers numpy does not write itself: edit numpy's bytes, keeping the header length
    arr = f.astype('<f8')
    raw = npy_bytes(arr)
    assert b"'<f8'" in raw
    add('f8_native', arr, raw=raw.replace(b"'<f8'", b"'=f8'", 1))
    arr = np.arange(6, dtype='<i4').reshape(2, 3)
    raw = npy_bytes(arr)
    assert b"(2, 3), }" in raw
    add('i4_py2_long', arr, raw=raw.replace(b"(2, 3), }", b"(2L,3L),}", 1))
    return cases


# ----------------------------------------------------------------------------------------
# PyTorch modules

def mha_packed():
    torch.manual_seed(1)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    with torch.no_grad():  # nonzero biases, so a missed bias shows
        mha.in_proj_bias.uniform_(-0.5, 0.5)
        mha.out_proj.bias.uniform_(-0.5, 0.5)
    return mha


def mha_kvdim():
    torch.manual_seed(2)
    return torch.nn.MultiheadAttention(6, 3, kdim=5, vdim=4, bias=False, batch_first=True).double()


def encoder_layer():
    torch.manual_seed(3)
    layer = torch.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=12)
    with torch.no_grad():
        layer.self_attn.in_proj_bias.uniform_(-0.5, 0.5)
        layer.self_attn.out_proj.bias.uniform_(-0.5, 0.5)
    return layer  # float32


def state_dict_arrays(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def mha_io():
    out = {}
    g = torch.Generator().manual_seed(4)

    mha = mha_packed()
    q = torch.randn(2, 4, 8, generator=g, dtype=torch.float64)
    k = torch.randn(2, 5, 8, generator=g, dtype=torch.float64)
    v = torch.randn(2, 5, 8, generator=g, dtype=torch.float64)
    i = torch.arange(4)[:, None]
    j = torch.arange(5)[None, :]
    attn_mask = j > i + 1                                    # True = blocked; row i sees keys <= i + 1
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    with torch.no_grad():
        o, w = mha(q, k, v, attn_mask=attn_mask, key_padding_mask=kpm, average_attn_weights=False)
    assert not torch.isnan(o).any() and not torch.isnan(w).any()
    out.update({'packed.query': q, 'packed.key': k, 'packed.value': v, 'packed.attn_mask': attn_mask.double(),
                'packed.key_padding_mask': kpm.double(), 'packed.output': o, 'packed.weights': w})

    mha = mha_kvdim()
    q = torch.randn(2, 3, 6, generator=g, dtype=torch.float64)
    k = torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    v = torch.randn(2, 4, 4, generator=g, dtype=torch.float64)
    with torch.no_grad():
        o, w = mha(q, k, v, average_attn_weights=False)
    out.update({'kvdim.query': q, 'kvdim.key': k, 'kvdim.value': v, 'kvdim.output': o, 'kvdim.weights': w})

    attn = encoder_layer().eval().self_attn.double()  # float32 weights, exactly, in float64; eval: no dropout
    x = torch.randn(5, 8, generator=g, dtype=torch.float64)
    with torch.no_grad():
        o, w = attn(x, x, x, average_attn_weights=False)
    out.update({'encoder.x': x, 'encoder.output': o, 'encoder.weights': w})
    return {name: t.numpy() for name, t in out.items()}


def dtypes_safetensors(path):
    vals = [0.0, 1.0, -2.5, 0.1, 65504.0, 6.103515625e-05, 5.960464477539063e-08, -0.0, np.inf, -np.inf]
    arrays = {
        'F64': np.array([[0.1, -1e300], [5e-324, np.inf]]),
        'F32': np.array([1.5, -0.1, 3.4028234663852886e38, -1e-45, np.nan], '<f4'),
        'F16': np.array(vals + [np.nan], '<f2').reshape(1, 11),
        'I64': np.array([0, -1, 2 ** 53 + 1, -(2 ** 63), 2 ** 63 - 1], '<i8'),
        'I32': np.array([[7, -2147483648], [2147483647, 0]], '<i4'),
        'I16': np.array([-32768, 32767, 5], '<i2'),
        'I8': np.array([-128, 127, 0], 'i1'),
        'U64': np.array([0, 2 ** 64 - 1, 2 ** 53 + 1, 2 ** 63], '<u8'),
        'U32': np.array([4294967295, 1], '<u4'),
        'U16': np.array([65535, 2], '<u2'),
        'U8': np.array([255, 0, 17], 'u1'),
        'BOOL': np.array([True, False, True]),
    }
    tensors = {}
    for name, a in arrays.items():
        tensors['x_' + name] = st_entry(a)
        tensors['expected_' + name] = st_entry(a.astype(np.float64))
    bf = torch.tensor([1.0, -3.140625, 1e38, -1e-38, 0.0, float('inf'), float('nan'), 65280.0], dtype=torch.bfloat16)
    tensors['x_BF16'] = ('BF16', (8,), bf.view(torch.int16).numpy().astype('<i2').tobytes())
    tensors['expected_BF16'] = st_entry(bf.double().numpy())
    tensors['empty'] = st_entry(np.zeros((0, 3), '<f4'))
    tensors['scalar'] = st_entry(np.array(-4.75))
    order = sorted(tensors)
    np.random.default_rng(6).shuffle(order)  # data laid out in an order unrelated to the header's
    write_safetensors(path, tensors, order, {'format': 'pt', 'note': 'dtype coverage'})


# ----------------------------------------------------------------------------------------

def generate():
    os.makedirs(os.path.join(OUT_DIR, 'npy'), exist_ok=True)
    for old in os.listdir(os.path.join(OUT_DIR, 'npy')):
        os.remove(os.path.join(OUT_DIR, 'npy', old))
    cases = npy_cases()
    for name, (raw, expected) in cases.items():
        with open(os.path.join(OUT_DIR, 'npy', name + '.npy'), 'wb') as f:
            f.write(raw)
        back = np.load(os.path.join(OUT_DIR, 'npy', name + '.npy'))  # numpy itself reads every case
        assert np.array_equal(back.astype(np.float64), expected, equal_nan=True), name
    np.savez(os.path.join(OUT_DIR, 'npy_expected.npz'), **{n: e for n, (raw, e) in cases.items()})

    arrays = {'a': np.round(np.random.default_rng(7).standard_normal((2, 3)), 3),
              'b': np.asfortranarray(np.arange(6, dtype='<i4').reshape(3, 2)),
              'c': np.array(1.25),
              'sub/d': np.zeros((0, 4))}
    np.savez(os.path.join(OUT_DIR, 'arrays.npz'), **arrays)
    np.savez_compressed(os.path.join(OUT_DIR, 'arrays_compressed.npz'), **arrays)
    for name in ('arrays.npz', 'arrays_compressed.npz'):
        with zipfile.ZipFile(os.path.join(OUT_DIR, name)) as z:
            methods = {i.compress_type for i in z.infolist()}
            assert methods == ({zipfile.ZIP_STORED} if name == 'arrays.npz' else {zipfile.ZIP_DEFLATED}), methods
    np.save(os.path.join(OUT_DIR, 'float64_2x3.npy'), np.arange(6.0).reshape(2, 3) / 4)

    np.savez(os.path.join(OUT_DIR, 'mha_packed.npz'), **state_dict_arrays(mha_packed()))
    state_dict_safetensors(os.path.join(OUT_DIR, 'mha_packed.safetensors'), mha_packed().state_dict(),
                           {'format': 'pt', 'source': 'torch.nn.MultiheadAttention(8, 2)'})
    np.savez(os.path.join(OUT_DIR, 'mha_kvdim.npz'), **state_dict_arrays(mha_kvdim()))
    state_dict_safetensors(os.path.join(OUT_DIR, 'encoder_layer_f32.safetensors'), encoder_layer().state_dict())
    np.savez(os.path.join(OUT_DIR, 'mha_io.npz'), **mha_io())
    dtypes_safetensors(os.path.join(OUT_DIR, 'dtypes.safetensors'))

    total = 0
    for root, _, files in os.walk(OUT_DIR):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print('wrote %d .npy cases and the archives to %s: %d bytes in all' % (len(cases), OUT_DIR, total))


# ----------------------------------------------------------------------------------------
# --verify: numpy and torch read what Heed wrote (see NumpyReadsHeedFilesTest)

def verify(directory):
    def load(name):
        return np.load(os.path.join(directory, name))

    base = np.arange(24.0).reshape(2, 3, 4) / 8
    checks = {
        'c_order.npy': base,
        'transposed.npy': base.transpose(2, 0, 1),
        'scalar.npy': np.array(3.25),
        'empty.npy': np.zeros((0, 5)),
        'specials.npy': np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]),
    }
    for name, expected in checks.items():
        a = load(name)
        assert a.dtype == np.float64 and a.shape == expected.shape, (name, a.dtype, a.shape)
        assert np.array_equal(a, expected, equal_nan=True), name
        assert np.array_equal(np.signbit(a), np.signbit(expected)), name
        with open(os.path.join(directory, name), 'rb') as f:
            assert f.read() == npy_bytes(expected.astype('<f8')), name + ': not byte-identical to np.save'
    with np.load(os.path.join(directory, 'arrays.npz')) as z:
        assert list(z.keys()) == ['a', 'b', 'sub/c'], list(z.keys())
        assert np.array_equal(z['a'], base) and np.array_equal(z['b'], np.array(3.25))
        assert z['sub/c'].shape == (0, 5)

    tensors, meta, header_order = read_safetensors(os.path.join(directory, 'meta.safetensors'))
    assert meta == {'format': 'pt', 'note': 'quote " backslash \\ and größe'}, meta
    assert header_order == ['größe', 'with "quote"', 'base'], header_order
    assert np.array_equal(tensors['base'], base) and np.array_equal(tensors['größe'], np.array(3.25))
    assert tensors['with "quote"'].shape == (0, 5)

    # the exported modules load into torch with strict=True and give Heed's outputs
    io_arrays = load('mha_io.npz')
    for tag, make in (('packed', lambda: torch.nn.MultiheadAttention(8, 2, batch_first=True)),
                      ('kvdim', lambda: torch.nn.MultiheadAttention(6, 3, kdim=5, vdim=4, bias=False,
                                                                     batch_first=True))):
        for source in ('npz', 'safetensors'):
            if source == 'npz':
                sd = dict(load('mha_%s.npz' % tag))
            else:
                sd, _, _ = read_safetensors(os.path.join(directory, 'mha_%s.safetensors' % tag))
            mha = make().double()
            mha.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()}, strict=True)
            q, k, v = (torch.from_numpy(io_arrays['%s.%s' % (tag, n)]) for n in ('query', 'key', 'value'))
            with torch.no_grad():
                o, w = mha(q, k, v, average_attn_weights=False)
            assert np.allclose(o.numpy(), io_arrays[tag + '.output'], rtol=1e-12, atol=1e-12), (tag, source)
            assert np.allclose(w.numpy(), io_arrays[tag + '.weights'], rtol=1e-12, atol=1e-12), (tag, source)
    print('numpy and torch read every file Heed wrote in', directory)


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--verify':
        verify(sys.argv[2])
    elif len(sys.argv) == 1:
        generate()
    else:
        sys.exit('usage: make_io_fixtures.py [--verify DIR]')
