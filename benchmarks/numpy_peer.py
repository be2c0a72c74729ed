#!/usr/bin/env python3
"""Heed against NumPy on the same machine, in the same run.

Times NumPy's stable softmax attention (float64) and its BLAS matrix product on the same
shapes as Heed's JMH benchmarks, runs those benchmarks (benchmarks/target/benchmarks.jar, forks
with and without the Vector API) in between, and prints a Markdown table of times, GFLOP/s and
speed ratios (NumPy time / Heed time: above 1 means Heed is faster).

Build the benchmark jar first, from the repository root of a fresh clone:

    mvn -q install -DskipTests && mvn -q -f benchmarks/pom.xml package

then, with the python3 whose NumPy uses an optimised BLAS (OpenBLAS, MKL, ...):

    python3 benchmarks/numpy_peer.py --quick      # about four minutes: CI smoke, development
    python3 benchmarks/numpy_peer.py              # the default shapes, about half an hour
    python3 benchmarks/numpy_peer.py --full --json benchmarks/target/performance.json  # 128..8192 tokens
    python3 benchmarks/chart.py benchmarks/target/performance.json   # -> docs/images/performance.svg

It stops with an error if the jar is missing, if a Heed benchmark's correctness check fails or
if NumPy's own result is wrong.

What is compared, per (batch*heads, tokens, depth, mask, threads) cell:

  NumPy   'tutorial': softmax(q @ k^T / sqrt(d) + mask bias) @ v as a tutorial writes it, a new
                   array at every step, the [B, L, S] weights materialised.
          'full':  the same in place: s = (q*scale) @ k^T; s += bias; s -= max; exp(s, out=s);
                   s /= sum; s @ v.
          'qN':    the same over query chunks of N rows with the normalisation after the second
                   product, and only the keys the mask allows (causal: keys up to the chunk's last
                   query; padding: keys below each sequence's length) -- the best a NumPy user
                   would write. "NumPy best" is the fastest of these.
          'roof':  the two matrix products alone (query chunks of 256, no softmax): OpenBLAS's
                   dgemm rate at this shape, the practical roof.
  Heed    AttentionBenchmark.{chunked,full}{Vector,Scalar}: ChunkedAttention and
          ScaledDotProductAttention, each checked against a direct computation before timing.

The backward, per cell too (--no-backward leaves it out): the gradients of q, k and v for a seeded
upstream gradient dO, from what the forward saved (the forward itself is not timed, on either side).

  NumPy   'full':  from the materialised weights P: dV = P^T dO, dP = dO V^T, dS = P (dP - D) in
                   place with D = rowsum(dO * O), dQ = dS K scale, dK = dS^T Q scale.
          'qN':    query chunks of N rows from the saved log-sum-exp, over the keys the mask allows:
                   P = exp(q k^T scale - lse), dV += P^T dO, dS = P (dO V^T - D), dQ = dS K scale,
                   dK += dS^T q scale. Both loop over the batch with 2-D products (faster than
                   NumPy's batched matmul with transposed operands, by 15-25% here). "NumPy best"
                   is the fastest; each is checked, every gradient of three batch elements,
                   against a computation from scratch.
  Heed    AttentionBackwardBenchmark.{chunked,full}{Vector,Scalar}: ChunkedAttention's backward
          (FlashAttention-2's, recomputing the tiles) and ScaledDotProductAttention's (from the
          weights), each checked before timing. The backward table gives backward / forward time
          for Heed's chunked vector kernel and for NumPy's best, the forward from the same run's
          cell of the same shape; its GFLOP/s count 10*d*P, FlashAttention-2's count (2.5x the
          forward's 4*d*P).

Interleaving: for every cell the NumPy timings (forward, then backward) are split in two, before
and after the one JMH run that times Heed's forward and backward of the same cell back to back,
so all see about the same machine state; --rounds repeats the whole sequence. Times
are the median (--stat min: the minimum) of per-iteration averages on both sides: JMH's
iterations, and NumPy's timed the same way (run the call until the iteration time has passed,
divide), with the same warm-up and measurement iterations and iteration time.

Flops (both sides): 4*d*P, P = allowed (query, key) pairs summed over batch*heads -- for no mask
4*B*H*L*S*d; causal counts only the allowed half, L(L+1)/2 pairs per head; padding counts
L * sum(lengths), lengths 3L/4 for the first half of the batch and L/2 for the rest. NumPy
computes every pair whatever the mask in 'tutorial' and 'full', so its rate there is the useful
work it does per second. The roof column counts the dense 4*B*H*L*S*d.
Matrix products: 2*n^3 for [n, n] @ [n, n].

Peak and width: before the first cell and after the last, JMH's PeakBenchmark (independent FMA
chains of DoubleVector at the preferred width, and Math.fma) runs on each thread count; the max over
its samples is the FMA peak, and every table gives each rate as a % of it (scalar kernels against
the scalar peak). --width 128|256|512 makes the Heed forks and the peak run at that width
(-XX:MaxVectorSize=16 for 128; -XX:UseAVX=2 for 256 on an AVX-512 machine, AVX2's registers and
instructions), --jvm-args adds any other JVM flags to them; NumPy's BLAS keeps its own width.

Threads: --threads 2 sets OPENBLAS_NUM_THREADS (and OMP/MKL) for NumPy, withParallelism(2) for
Heed's attention and -Ddev.heed.parallelism=2 for its matmul. NumPy's elementwise operations
(max, exp, sums) run on one thread whatever this says; that is NumPy, not a setting.
"""

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_JAR = os.path.join(HERE, "target", "benchmarks.jar")
BUILD = "mvn -q install -DskipTests && mvn -q -f benchmarks/pom.xml package"

PROFILES = {
    # tokens, masks, matmul sizes, JMH/NumPy warmup iterations, measured iterations, seconds each
    # quick: two warm-up iterations, because after one of 0.3 s C2 is still compiling the Vector
    # API tiles in each fresh fork (at 128 bits, 2 threads, [8, 1024, 64]: 169, 119, 92, 108 ms per
    # call in the first four iterations), and the measured ones came out 10-25 % slow.
    "quick": dict(tokens=[256, 1024], masks=["none", "causal", "padding"], matmul=[256, 1024],
                  warmup=2, iterations=3, seconds=0.3),
    "default": dict(tokens=[512, 1024, 2048], masks=["none", "causal", "padding"], matmul=[1024, 2048],
                    warmup=2, iterations=5, seconds=1.0),
    "full": dict(tokens=[128, 256, 512, 1024, 2048, 4096, 8192], masks=["none", "causal"],
                 matmul=[256, 1024, 2048], warmup=2, iterations=5, seconds=1.0),
}
MASKS = ("none", "causal", "padding")
ATTENTION_METHODS = ("chunkedVector", "chunkedScalar", "fullVector", "fullScalar")
# The worker's request op -> the JMH benchmark class timed with it (same method names), for a log line.
OPS = {"attention": dict(benchmark="AttentionBenchmark", name="attention"),
       "backward": dict(benchmark="AttentionBackwardBenchmark", name="backward")}
MATMUL_METHODS = ("matmulVector", "matmulScalar")
TOLERANCE = 1e-9


# ---------------------------------------------------------------------------- shared definitions

def key_lengths(mask, batch_heads, tokens):
    """Keys each batch element sees under 'padding' (as AttentionBenchmark.keyLengths); else None."""
    if mask != "padding":
        return None
    return [max(1, 3 * tokens // 4 if b < (batch_heads + 1) // 2 else tokens // 2) for b in range(batch_heads)]


def attention_flops(mask, batch_heads, tokens, depth):
    """4*d*P, P the allowed (query, key) pairs (as AttentionBenchmark.flops)."""
    if mask == "none":
        pairs = batch_heads * tokens * tokens
    elif mask == "causal":
        pairs = batch_heads * tokens * (tokens + 1) / 2
    elif mask == "padding":
        pairs = tokens * sum(key_lengths(mask, batch_heads, tokens))
    else:
        raise ValueError(mask)
    return 4.0 * depth * pairs


def gflops(flops, ms):
    return flops / (ms * 1e6) if ms else None


# ---------------------------------------------------------------------------- the NumPy worker

def worker():
    """Serve timing requests, one JSON object per line on stdin, answers on stdout.

    Runs as a child process so that OPENBLAS_NUM_THREADS (read once, when NumPy is imported) can
    differ between thread counts, and sits blocked on stdin, using no CPU, while JMH runs.
    """
    import numpy as np

    def timed(fn, warmup, iterations, seconds):
        result = None
        samples = []
        for it in range(warmup + iterations):
            calls = 0
            start = time.perf_counter()
            while True:
                result = fn()
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= seconds:
                    break
            if it >= warmup:
                samples.append(elapsed / calls * 1e3)
        return samples, result

    def blas_info():
        try:
            deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            return "%s %s" % (deps.get("name", "?"), deps.get("version", ""))
        except Exception:  # older NumPy: no dicts mode
            return "an unknown BLAS"

    def attention_case(req):
        B, L, d, mask = req["batch_heads"], req["tokens"], req["depth"], req["mask"]
        rng = np.random.default_rng(20240601)
        q = rng.standard_normal((B, L, d))
        k = rng.standard_normal((B, L, d))
        v = rng.standard_normal((B, L, d))
        scale = 1.0 / math.sqrt(d)
        kt = k.transpose(0, 2, 1)
        lengths = key_lengths(mask, B, L)

        def key_end(b, i):
            return i + 1 if mask == "causal" else lengths[b] if mask == "padding" else L

        # Made once, outside the timing, like Heed's Mask object.
        if mask == "causal":
            full_bias = np.triu(np.full((L, L), -np.inf), k=1)
        elif mask == "padding":
            full_bias = np.where(np.arange(L)[None, None, :] < np.array(lengths)[:, None, None], 0.0, -np.inf)
        else:
            full_bias = None
        # Contiguous runs of batch elements with one key length: (b0, b1, length).
        groups = []
        if mask == "padding":
            b0 = 0
            for b in range(1, B + 1):
                if b == B or lengths[b] != lengths[b0]:
                    groups.append((b0, b, lengths[b0]))
                    b0 = b
        else:
            groups.append((0, B, L))

        def tutorial():
            # As a tutorial writes it: every step a new array.
            scores = q @ kt / math.sqrt(d)
            if full_bias is not None:
                scores = scores + full_bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights = weights / weights.sum(axis=-1, keepdims=True)
            return weights @ v

        def full():
            s = (q * scale) @ kt
            if full_bias is not None:
                s += full_bias
            s -= s.max(axis=-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
            return s @ v

        def chunked(chunk):
            diag = np.triu(np.full((chunk, chunk), -np.inf), k=1)

            def run():
                qs = q * scale
                out = np.empty((B, L, d))
                for q0 in range(0, L, chunk):
                    q1 = min(L, q0 + chunk)
                    for b0, b1, length in groups:
                        end = q1 if mask == "causal" else length
                        s = qs[b0:b1, q0:q1] @ kt[b0:b1, :, :end]
                        if mask == "causal":
                            s[:, :, q0:q1] += diag[:q1 - q0, :q1 - q0]
                        s -= s.max(axis=-1, keepdims=True)
                        np.exp(s, out=s)
                        total = s.sum(axis=-1, keepdims=True)
                        o = out[b0:b1, q0:q1]
                        np.matmul(s, v[b0:b1, :end], out=o)
                        o /= total
                return out
            return run

        def roof(chunk=256):
            # The two products of attention and nothing else: dgemm at this shape.
            def run():
                out = np.empty((B, L, d))
                for q0 in range(0, L, chunk):
                    q1 = min(L, q0 + chunk)
                    s = q[:, q0:q1] @ kt
                    np.matmul(s, v, out=out[:, q0:q1])
                return out
            return run

        def check(name, out):
            rows = sorted({0, min(1, L - 1), L // 2, L - 1})
            worst = 0.0
            for b in sorted({0, B // 2, B - 1}):
                for i in rows:
                    end = key_end(b, i)
                    s = (k[b, :end] @ q[b, i]) * scale
                    p = np.exp(s - s.max())
                    expected = (p @ v[b, :end]) / p.sum()
                    worst = max(worst, float(np.max(np.abs(out[b, i] - expected))))
            if not worst <= TOLERANCE:
                raise AssertionError("NumPy %s attention is wrong: max |error| %g for %s" % (name, worst, req))
            return worst

        variants = {}
        if req["full"]:
            variants["tutorial"] = tutorial
            variants["full"] = full
        for c in req["chunks"]:
            variants["q%d" % c] = chunked(c)
        result = {"samples": {}, "max_error": 0.0}
        for name, fn in variants.items():
            samples, out = timed(fn, req["warmup"], req["iterations"], req["seconds"])
            result["samples"][name] = samples
            result["max_error"] = max(result["max_error"], check(name, out))
        samples, _ = timed(roof(), req["warmup"], req["iterations"], req["seconds"])
        result["samples"]["roof"] = samples
        return result

    def backward_case(req):
        """The backward of the same attention from what its forward saved, dO a seeded random array.

        'full': from the materialised weights P (computed once, outside the timing, as Heed's
        ScaledDotProductAttention backward gets them from its forward): dV = P^T dO, dP = dO V^T,
        dS = P (dP - D) in place, dQ = dS K scale, dK = dS^T Q scale. 'qN': query chunks of N rows
        from the saved log-sum-exp (FlashAttention's inputs: q, k, v, O, lse), P = exp(s - lse)
        recomputed per chunk over the keys the mask allows only, dK and dV accumulated. Both go
        one batch element at a time (see full()).
        """
        B, L, d, mask = req["batch_heads"], req["tokens"], req["depth"], req["mask"]
        rng = np.random.default_rng(20240601)
        q = rng.standard_normal((B, L, d))
        k = rng.standard_normal((B, L, d))
        v = rng.standard_normal((B, L, d))
        dO = rng.standard_normal((B, L, d))
        scale = 1.0 / math.sqrt(d)
        kt = k.transpose(0, 2, 1)
        vt = v.transpose(0, 2, 1)
        lengths = key_lengths(mask, B, L)
        groups = []
        if mask == "padding":
            b0 = 0
            for b in range(1, B + 1):
                if b == B or lengths[b] != lengths[b0]:
                    groups.append((b0, b, lengths[b0]))
                    b0 = b
        else:
            groups.append((0, B, L))

        # The forward, outside the timing: output, log-sum-exp and (for 'full') the weights.
        out = np.empty((B, L, d))
        lse = np.empty((B, L))
        diag = np.triu(np.full((256, 256), -np.inf), k=1)
        for q0 in range(0, L, 256):
            q1 = min(L, q0 + 256)
            for b0, b1, length in groups:
                end = q1 if mask == "causal" else length
                s = (q[b0:b1, q0:q1] * scale) @ kt[b0:b1, :, :end]
                if mask == "causal":
                    s[:, :, q0:q1] += diag[:q1 - q0, :q1 - q0]
                m = s.max(axis=-1, keepdims=True)
                s -= m
                np.exp(s, out=s)
                total = s.sum(axis=-1, keepdims=True)
                out[b0:b1, q0:q1] = (s @ v[b0:b1, :end]) / total
                lse[b0:b1, q0:q1] = (m + np.log(total))[..., 0]
        weights = None
        if req["full"]:
            weights = (q * scale) @ kt
            if mask == "causal":
                weights += np.triu(np.full((L, L), -np.inf), k=1)
            elif mask == "padding":
                weights += np.where(np.arange(L)[None, None, :] < np.array(lengths)[:, None, None], 0.0, -np.inf)
            weights -= lse[..., None]
            np.exp(weights, out=weights)

        def full():
            # One batch element at a time: 2-D products, the transposes passed to BLAS as flags,
            # ran 15-25% faster here than the same products batched over [B, L, S].
            D = np.einsum("bld,bld->bl", dO, out)[..., None]
            dq = np.empty((B, L, d))
            dk = np.empty((B, L, d))
            dv = np.empty((B, L, d))
            for b in range(B):
                p = weights[b]
                np.matmul(p.T, dO[b], out=dv[b])
                ds = dO[b] @ vt[b]
                ds -= D[b]
                ds *= p
                np.matmul(ds, k[b], out=dq[b])
                np.matmul(ds.T, q[b], out=dk[b])
            dq *= scale
            dk *= scale
            return dq, dk, dv

        def chunked(chunk):
            diag = np.triu(np.full((chunk, chunk), -np.inf), k=1)

            def run():
                qs = q * scale
                D = np.einsum("bld,bld->bl", dO, out)
                dq = np.empty((B, L, d))
                dk = np.zeros((B, L, d))
                dv = np.zeros((B, L, d))
                for b in range(B):
                    length = lengths[b] if mask == "padding" else L
                    for q0 in range(0, L, chunk):
                        q1 = min(L, q0 + chunk)
                        end = q1 if mask == "causal" else length
                        p = qs[b, q0:q1] @ kt[b, :, :end]
                        if mask == "causal":
                            p[:, q0:q1] += diag[:q1 - q0, :q1 - q0]
                        p -= lse[b, q0:q1, None]
                        np.exp(p, out=p)
                        dv[b, :end] += p.T @ dO[b, q0:q1]
                        ds = dO[b, q0:q1] @ vt[b, :, :end]
                        ds -= D[b, q0:q1, None]
                        ds *= p
                        np.matmul(ds, k[b, :end], out=dq[b, q0:q1])
                        dk[b, :end] += ds.T @ q[b, q0:q1]
                dq *= scale
                dk *= scale
                return dq, dk, dv
            return run

        def check(name, grads):
            # Every gradient of three batch elements from scratch: the softmax of each row
            # normalised by its own sum, D = rowsum(P * dP) rather than rowsum(dO * O).
            dq, dk, dv = grads
            worst = 0.0
            for b in sorted({0, B // 2, B - 1}):
                end = lengths[b] if mask == "padding" else L
                rdk = np.zeros((end, d))
                rdv = np.zeros((end, d))
                for i0 in range(0, L, 512):
                    i1 = min(L, i0 + 512)
                    s = (q[b, i0:i1] @ k[b, :end].T) * scale
                    if mask == "causal":
                        s = np.where(np.arange(end)[None, :] <= np.arange(i0, i1)[:, None], s, -np.inf)
                    pr = np.exp(s - s.max(axis=-1, keepdims=True))
                    pr /= pr.sum(axis=-1, keepdims=True)
                    dp = dO[b, i0:i1] @ v[b, :end].T
                    ds = pr * (dp - (pr * dp).sum(axis=-1, keepdims=True))
                    rdq = (ds @ k[b, :end]) * scale
                    rdk += (ds.T @ q[b, i0:i1]) * scale
                    rdv += pr.T @ dO[b, i0:i1]
                    worst = max(worst, float(np.max(np.abs(dq[b, i0:i1] - rdq))))
                worst = max(worst, float(np.max(np.abs(dk[b, :end] - rdk))),
                            float(np.max(np.abs(dv[b, :end] - rdv))),
                            float(np.max(np.abs(dk[b, end:]), initial=0.0)),
                            float(np.max(np.abs(dv[b, end:]), initial=0.0)))
            if not worst <= TOLERANCE:
                raise AssertionError("NumPy %s backward is wrong: max |error| %g for %s" % (name, worst, req))
            return worst

        variants = {}
        if req["full"]:
            variants["full"] = full
        for c in req["chunks"]:
            variants["q%d" % c] = chunked(c)
        result = {"samples": {}, "max_error": 0.0}
        for name, fn in variants.items():
            samples, grads = timed(fn, req["warmup"], req["iterations"], req["seconds"])
            result["samples"][name] = samples
            result["max_error"] = max(result["max_error"], check(name, grads))
        return result

    def matmul_case(req):
        n = req["size"]
        rng = np.random.default_rng(7)
        a = rng.standard_normal((n, n))
        b = rng.standard_normal((n, n))
        samples, c = timed(lambda: a @ b, req["warmup"], req["iterations"], req["seconds"])
        i, j = n - 1, n // 2
        if not abs(c[i, j] - float(np.dot(a[i], b[:, j]))) <= 1e-12 * float(np.abs(a[i] * b[:, j]).sum()):
            raise AssertionError("NumPy matmul is wrong at size %d" % n)
        return {"samples": {"dgemm": samples}}

    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "info":
                probe = np.random.default_rng(0).standard_normal((512, 512))
                best = math.inf
                for _ in range(10):
                    start = time.perf_counter()
                    probe @ probe
                    best = min(best, time.perf_counter() - start)
                answer = {"numpy": np.__version__, "blas": blas_info(), "python": platform.python_version(),
                          "executable": sys.executable, "dgemm512_gflops": 2 * 512 ** 3 / best / 1e9,
                          "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}
            elif req["op"] == "attention":
                answer = attention_case(req)
            elif req["op"] == "backward":
                answer = backward_case(req)
            elif req["op"] == "matmul":
                answer = matmul_case(req)
            else:
                raise ValueError("unknown op %r" % req["op"])
            answer["ok"] = True
        except Exception as e:  # reported to the parent, which stops the run
            answer = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class NumpyWorker:
    """A worker process with its BLAS confined to a number of threads."""

    def __init__(self, threads):
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
            env[var] = str(threads)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            fail("the NumPy worker died (out of memory?) on %s" % req)
        answer = json.loads(line)
        if not answer.get("ok"):
            fail(answer.get("error", "the NumPy worker failed on %s" % req))
        return answer

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


# ---------------------------------------------------------------------------- running JMH

def fail(message):
    sys.stderr.write("numpy_peer.py: error: %s\n" % message)
    sys.exit(1)


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_jmh(args, regex, params, jvm_args, log_path, extra=(), unit="ms/op"):
    """Runs the benchmark jar on one cell; {"Class.method": [score per iteration (unit), ...]}.

    Every fork also gets the width's JVM flags and --jvm-args (args.jvm_flags)."""
    fd, result_path = tempfile.mkstemp(prefix="heed-jmh-", suffix=".json")
    os.close(fd)
    ms = "%dms" % round(args.seconds * 1000)
    cmd = [args.java, "-jar", args.jar, regex, "-f", str(args.forks), "-wi", str(args.warmup), "-i", str(args.iterations),
           "-w", ms, "-r", ms, "-foe", "true", "-rf", "json", "-rff", result_path]
    for name, value in params.items():
        cmd += ["-p", "%s=%s" % (name, value)]
    cmd += list(extra)
    jvm_args = list(args.jvm_flags) + list(jvm_args)
    if jvm_args:
        cmd += ["-jvmArgsAppend", " ".join(jvm_args)]
    try:
        with open(log_path, "a") as out:
            out.write("\n$ %s\n" % shlex.join(cmd))
            out.flush()
            code = subprocess.call(cmd, stdout=None if args.verbose else out, stderr=subprocess.STDOUT)
        if code != 0:
            with open(log_path) as f:
                tail = f.read().splitlines()[-40:]
            fail("the Heed benchmark failed (exit %d): %s\n--- last lines of %s:\n%s"
                 % (code, shlex.join(cmd), log_path, "\n".join(tail)))
        with open(result_path) as f:
            results = json.load(f)
    finally:
        os.unlink(result_path)
    samples = {}
    for r in results:
        method = ".".join(r["benchmark"].rsplit(".", 2)[1:])  # Class.method
        if r["primaryMetric"]["scoreUnit"] != unit:
            fail("unexpected unit %s from JMH" % r["primaryMetric"]["scoreUnit"])
        samples[method] = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    return samples


def method_regex(cls, methods):
    return r"^dev\.heed\.benchmarks\.%s\.(%s)$" % (cls, "|".join(methods))


# ---------------------------------------------------------------------------- width and FMA peak

def width_flags(width, simd):
    """JVM flags that make the Heed forks (and the peak) run at a vector width, or None if impossible here."""
    if width == "native":
        return []
    if width == "512":
        return [] if simd == "AVX-512" else None
    if width == "256":
        # UseAVX=2 rather than MaxVectorSize=32: AVX2's 16 registers and instructions, as on an AVX2 CPU.
        return ["-XX:UseAVX=2"] if simd == "AVX-512" else [] if simd == "AVX2" else None
    return ["-XX:MaxVectorSize=16"]  # 128 bits: SSE, NEON


def probe_width(args):
    """PeakBenchmark.main in a JVM with the width's flags: preferred bits, Heed's kernels, a one-thread estimate."""
    cmd = [args.java, "--add-modules", "jdk.incubator.vector"] + list(args.jvm_flags) + [
        "-cp", args.jar, "dev.heed.benchmarks.PeakBenchmark"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    fields = dict(x.split("=", 1) for x in out.stdout.split() if "=" in x)
    if out.returncode != 0 or "preferredBits" not in fields:
        fail("could not start a JVM with %s:\n%s" % (shlex.join(cmd), out.stderr[-2000:]))
    return {"bits": int(fields["preferredBits"]), "kernels": fields["kernels"],
            "core_gflops": float(fields["gflops"]), "core_scalar_gflops": float(fields["scalarGflops"]),
            "flags": list(args.jvm_flags)}


def measure_peak(args, threads, log_path):
    """PeakBenchmark.preferred and .scalar on `threads` threads: {"vector": [GFLOP/s...], "scalar": [...]}."""
    got = run_jmh(args, method_regex("PeakBenchmark", ["preferred", "scalar"]), {}, [], log_path,
                  extra=["-t", str(threads)], unit="ops/ns")
    return {"vector": got.get("PeakBenchmark.preferred", []), "scalar": got.get("PeakBenchmark.scalar", [])}


def pct(gflops_value, peak):
    """'42%' of a peak in GFLOP/s, or '–'."""
    return "%.0f%%" % (100 * gflops_value / peak) if gflops_value and peak else "–"


PEAK = {}  # threads -> {"vector": GFLOP/s, "scalar": GFLOP/s}: the max over the run's peak samples


def peak_of(threads, path="vector"):
    return PEAK.get(threads, {}).get(path)


# ---------------------------------------------------------------------------- reporting

STATS = {"median": statistics.median, "min": min}


def fmt(x, digits=3):
    if x is None:
        return "–"
    if x >= 100:
        return "%.0f" % x
    return ("%%.%dg" % digits) % x


def ratio(numpy_ms, heed_ms):
    return numpy_ms / heed_ms if numpy_ms and heed_ms else None


def summarise(cell, stat):
    """Adds each series' time (the statistic over its iterations) and the best NumPy variant to a cell."""
    numpy = {name: STATS[stat](s) for name, s in cell["numpy"].items() if s}
    heed = {name: STATS[stat](s) for name, s in cell["heed"].items() if s}
    attention = {n: t for n, t in numpy.items() if n not in ("roof", "dgemm")}
    best = min(attention, key=attention.get) if attention else None
    cell["ms"] = {"numpy": numpy, "heed": heed}
    cell["numpy_best"] = best
    cell["numpy_best_ms"] = numpy[best] if best else None
    return cell


def attention_table(cells):
    head = ("| B·H × L × d | mask | threads | NumPy best ms | NumPy variant | Heed chunked vector ms "
            "| Heed chunked scalar ms | Heed full vector ms | Heed full scalar ms | NumPy GFLOP/s "
            "| Heed chunked vector GFLOP/s | dgemm roof GFLOP/s | ×NumPy chunked vector | ×NumPy chunked scalar "
            "| ×NumPy full vector | full ÷ chunked (vector) | NumPy % of peak | Heed chunked vector % of peak "
            "| Heed chunked scalar % of scalar peak | spread |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        h = c["ms"]["heed"]
        n = c["ms"]["numpy"]
        flops = attention_flops(c["mask"], c["batch_heads"], c["tokens"], c["depth"])
        dense = attention_flops("none", c["batch_heads"], c["tokens"], c["depth"])
        best = c["numpy_best_ms"]
        cv, cs, fv, fs = (h.get(m) for m in ATTENTION_METHODS)
        lines.append(("| %d × %d × %d | %s | %d |" + " %s |" * 17) % (
            c["batch_heads"], c["tokens"], c["depth"], c["mask"], c["threads"], fmt(best), c["numpy_best"],
            fmt(cv), fmt(cs), fmt(fv), fmt(fs), fmt(gflops(flops, best)), fmt(gflops(flops, cv)),
            fmt(gflops(dense, n.get("roof"))), fmt(ratio(best, cv)) + "×" if cv else "–",
            fmt(ratio(best, cs)) + "×" if cs else "–", fmt(ratio(best, fv)) + "×" if fv else "–",
            fmt(fv / cv if fv and cv else None), pct(gflops(flops, best), peak_of(c["threads"])),
            pct(gflops(flops, cv), peak_of(c["threads"])), pct(gflops(flops, cs), peak_of(c["threads"], "scalar")),
            fmt(spread(c), 2)))
    return "\n".join(lines)


def backward_flops(mask, batch_heads, tokens, depth):
    """10*d*P: FlashAttention-2's count for the backward, five products per allowed pair (2.5x the forward)."""
    return 2.5 * attention_flops(mask, batch_heads, tokens, depth)


def forward_of(cell, forward):
    """The forward cell with the same shape, mask and threads as a backward cell, if this run has one."""
    return next((f for f in forward if all(f[x] == cell[x] for x in ("batch_heads", "tokens", "depth", "mask",
                                                                        "threads"))), None)


def backward_table(cells, forward):
    head = ("| B·H × L × d | mask | threads | NumPy best ms | NumPy variant | Heed chunked vector ms "
            "| Heed chunked scalar ms | Heed full vector ms | Heed full scalar ms | Heed chunked vector GFLOP/s "
            "| ×NumPy chunked vector | ×NumPy chunked scalar | ×NumPy full vector "
            "| backward ÷ forward, Heed chunked vector | backward ÷ forward, NumPy best | NumPy best GFLOP/s "
            "| NumPy % of peak | Heed chunked vector % of peak | Heed chunked scalar % of scalar peak | spread |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        h = c["ms"]["heed"]
        best = c["numpy_best_ms"]
        cv, cs, fv, fs = (h.get(m) for m in ATTENTION_METHODS)
        f = forward_of(c, forward)
        fcv = f["ms"]["heed"].get("chunkedVector") if f else None
        fbest = f["numpy_best_ms"] if f else None
        bflops = backward_flops(c["mask"], c["batch_heads"], c["tokens"], c["depth"])
        lines.append(("| %d × %d × %d | %s | %d |" + " %s |" * 17) % (
            c["batch_heads"], c["tokens"], c["depth"], c["mask"], c["threads"], fmt(best), c["numpy_best"],
            fmt(cv), fmt(cs), fmt(fv), fmt(fs),
            fmt(gflops(backward_flops(c["mask"], c["batch_heads"], c["tokens"], c["depth"]), cv)),
            fmt(ratio(best, cv)) + "×" if cv else "–", fmt(ratio(best, cs)) + "×" if cs else "–",
            fmt(ratio(best, fv)) + "×" if fv else "–", fmt(cv / fcv if cv and fcv else None),
            fmt(best / fbest if best and fbest else None), fmt(gflops(bflops, best)),
            pct(gflops(bflops, best), peak_of(c["threads"])), pct(gflops(bflops, cv), peak_of(c["threads"])),
            pct(gflops(bflops, cs), peak_of(c["threads"], "scalar")), fmt(spread(c), 2)))
    return "\n".join(lines)


def spread(cell):
    """The largest max ÷ min over the iterations of the series a row compares: how noisy it is."""
    series = [cell["numpy"].get(cell["numpy_best"], [])] + [cell["heed"].get(m, []) for m in ATTENTION_METHODS]
    return max((max(s) / min(s) for s in series if s and min(s) > 0), default=None)


def matmul_table(cells):
    lines = ["| n × n @ n × n | threads | NumPy dgemm ms | Heed vector ms | Heed scalar ms | dgemm GFLOP/s "
             "| Heed vector GFLOP/s | Heed scalar GFLOP/s | Heed vector ÷ dgemm rate | Heed scalar ÷ dgemm rate "
             "| dgemm % of peak | Heed vector % of peak | Heed scalar % of scalar peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        h = c["ms"]["heed"]
        dg = c["ms"]["numpy"].get("dgemm")
        flops = 2.0 * c["size"] ** 3
        mv, ms = h.get("matmulVector"), h.get("matmulScalar")
        of_dgemm = lambda t: "%.0f%%" % (100 * dg / t) if t and dg else "–"
        peak = peak_of(c["threads"])
        lines.append("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["size"], c["threads"], fmt(dg), fmt(mv), fmt(ms), fmt(gflops(flops, dg)), fmt(gflops(flops, mv)),
            fmt(gflops(flops, ms)), of_dgemm(mv), of_dgemm(ms), pct(gflops(flops, dg), peak),
            pct(gflops(flops, mv), peak), pct(gflops(flops, ms), peak_of(c["threads"], "scalar"))))
    return "\n".join(lines)


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def targets(cells, matmuls):
    """Issue 3's targets, as far as this run's cells cover them."""
    out = []
    by = {(c["tokens"], c["depth"], c["mask"], c["threads"]): c for c in cells}
    top = max((c["threads"] for c in cells), default=None)

    def heed(c, m):
        return c["ms"]["heed"].get(m)

    def mark(ok, *cs):
        worst = max((spread(c) or 1 for c in cs), default=1)
        return ("met" if ok else "NOT met") + (" (noisy: spread %.1f)" % worst if worst > 1.5 else "")
    for mask in ("none", "causal"):
        c = by.get((1024, 64, mask, top))
        if c and c["batch_heads"] == 8:
            r = ratio(c["numpy_best_ms"], heed(c, "chunkedVector"))
            if r:
                out.append("- [8, 1024, 64] %s, %s: chunked vector %.2f× NumPy best (target ≥ 3×): %s"
                           % (mask, plural(top, "thread"), r, mark(r >= 3, c)))
            r = ratio(c["numpy_best_ms"], heed(c, "chunkedScalar"))
            if r:
                out.append("- [8, 1024, 64] %s, %s: chunked scalar %.2f× NumPy best (target ≥ 1×): %s"
                           % (mask, plural(top, "thread"), r, mark(r >= 1, c)))
    for (tokens, depth, mask, threads), c in sorted(by.items()):
        if mask == "none":
            cv = heed(c, "chunkedVector")
            causal = by.get((tokens, depth, "causal", threads))
            if causal and cv and heed(causal, "chunkedVector"):
                out.append("- L=%d d=%d, %s: causal ÷ none time, chunked vector = %.2f (target ≈ 0.5)"
                           % (tokens, depth, plural(threads, "thread"), heed(causal, "chunkedVector") / cv))
            fv = heed(c, "fullVector")
            if fv and cv:
                out.append("- L=%d d=%d, %s: full ÷ chunked, vector = %.2f (target ≤ 1.5): %s"
                           % (tokens, depth, plural(threads, "thread"), fv / cv, mark(fv / cv <= 1.5, c)))
            one = by.get((tokens, depth, mask, 1))
            if threads == 2 and one and cv and heed(one, "chunkedVector"):
                s = heed(one, "chunkedVector") / cv
                out.append("- L=%d d=%d: chunked vector 1 → 2 threads speed-up %.2f× (target ≥ 1.8×): %s"
                           % (tokens, depth, s, mark(s >= 1.8, c, one)))
    if matmuls:
        c = max(matmuls, key=lambda m: (m["threads"], m["size"]))
        dg, mv = c["ms"]["numpy"].get("dgemm"), c["ms"]["heed"].get("matmulVector")
        if dg and mv:
            out.append("- matmul %d × %d, %s: Heed vector at %.0f%% of NumPy dgemm's GFLOP/s (target ≥ 40%%): %s"
                       % (c["size"], c["size"], plural(c["threads"], "thread"), 100 * dg / mv, mark(dg / mv >= 0.4)))
    return "\n".join(out)


def peak_targets(cells, matmuls, bits):
    """Issue 11's share-of-peak targets, as far as this run's cells cover them."""
    out = []
    for c in cells:
        if (c["batch_heads"], c["tokens"], c["depth"], c["mask"]) == (8, 1024, 64, "none"):
            cv = c["ms"]["heed"].get("chunkedVector")
            rate = gflops(attention_flops("none", 8, 1024, 64), cv)
            if rate and peak_of(c["threads"]):
                share = rate / peak_of(c["threads"])
                out.append("- [8, 1024, 64] none, %s, %d-bit: chunked vector at %.0f%% of the FMA peak (target ≥ 60%%): "
                           "%s" % (plural(c["threads"], "thread"), bits, 100 * share,
                                   "met" if share >= 0.6 else "NOT met"))
    for c in matmuls:
        if c["size"] == 1024:
            mv = c["ms"]["heed"].get("matmulVector")
            rate = gflops(2.0 * 1024 ** 3, mv)
            if rate and peak_of(c["threads"]):
                share = rate / peak_of(c["threads"])
                out.append("- matmul 1024, %s, %d-bit: vector at %.0f%% of the FMA peak (target ≥ 70%%): %s"
                           % (plural(c["threads"], "thread"), bits, 100 * share, "met" if share >= 0.7 else "NOT met"))
    return "\n".join(out)


def backward_targets(cells, forward):
    """Issue 9's speed targets for the backward, as far as this run's cells cover them."""
    out = []
    top = max((c["threads"] for c in cells), default=None)
    for mask in ("none", "causal"):
        c = next((c for c in cells if (c["tokens"], c["depth"], c["mask"], c["threads"], c["batch_heads"])
                  == (1024, 64, mask, top, 8)), None)
        if not c:
            continue
        cv = c["ms"]["heed"].get("chunkedVector")
        f = forward_of(c, forward)
        fcv = f["ms"]["heed"].get("chunkedVector") if f else None
        noisy = max(spread(c) or 1, spread(f) or 1 if f else 1)
        note = " (noisy: spread %.1f)" % noisy if noisy > 1.5 else ""
        if cv and fcv:
            out.append("- [8, 1024, 64] %s, %s: chunked vector backward ÷ forward = %.2f (target ≤ 3): %s%s"
                       % (mask, plural(top, "thread"), cv / fcv, "met" if cv / fcv <= 3 else "NOT met", note))
        r = ratio(c["numpy_best_ms"], cv)
        if r:
            out.append("- [8, 1024, 64] %s, %s: chunked vector backward %.2f× NumPy best backward (%s; target ≥ 1.5×): "
                       "%s%s" % (mask, plural(top, "thread"), r, c["numpy_best"], "met" if r >= 1.5 else "NOT met",
                                 note))
    return "\n".join(out)


# ---------------------------------------------------------------------------- machine

def machine_info(args):
    model, flags = "unknown", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = line.split(":", 1)[1]
    except OSError:
        model = platform.processor() or "unknown"
    simd = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else ""
    try:
        lines = subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()
    except OSError:
        lines = []
    version = next((l.split('"')[1] for l in lines if l.count('"') >= 2), "unknown")
    return {"cpu": model, "cores": os.cpu_count(), "simd": simd, "java": "Java " + version,
            "java_runtime": lines[1].strip() if len(lines) > 1 else "",
            "os": platform.platform(), "load_average_start": list(os.getloadavg())}


def stale_jar_warning(jar):
    """Warns when the library sources are newer than the jar that is about to be measured."""
    newest = 0
    for root, _, files in os.walk(os.path.join(REPO, "src", "main")):
        for f in files:
            newest = max(newest, os.path.getmtime(os.path.join(root, f)))
    if newest > os.path.getmtime(jar):
        log("warning: src/main is newer than %s; rebuild (%s) or you measure old code" % (jar, BUILD))


# ---------------------------------------------------------------------------- main

def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python3 benchmarks/numpy_peer.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__)
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="few shapes, short iterations (about 4 minutes): CI smoke and development")
    size.add_argument("--full", action="store_true",
                      help="the sweep 128..8192 tokens, masks none and causal (the chart; about an hour with the backward)")
    p.add_argument("--threads", type=int_list, default=[os.cpu_count() or 1],
                   help="comma-separated thread counts, e.g. 1,2 (default: all %d processors)" % (os.cpu_count() or 1))
    p.add_argument("--json", metavar="OUT.json", help="also write every sample and the machine to this file")
    p.add_argument("--tokens", type=int_list, help="override the profile's sequence lengths, e.g. 512,1024")
    p.add_argument("--depth", type=int_list, default=[64], help="head depths (default 64; the issue also has 128)")
    p.add_argument("--masks", help="comma-separated from none,causal,padding (default: the profile's)")
    p.add_argument("--batch-heads", type=int, default=8, help="batch × heads (default 8)")
    p.add_argument("--matmul-sizes", help="square matmul sizes, comma-separated; empty for none")
    p.add_argument("--paths", default="vector,scalar", help="Heed kernel paths: vector,scalar (default both)")
    p.add_argument("--no-backward", action="store_true",
                   help="time the forward only (by default every cell also times the backward)")
    p.add_argument("--max-full-tokens", type=int, default=4096,
                   help="materialised attention (Heed full, NumPy full) only up to this many tokens "
                        "(default 4096: [8, 8192, 8192] weights are 4.3 GB)")
    p.add_argument("--chunks", type=int_list, default=[128, 256], help="NumPy query chunks (default 128,256)")
    p.add_argument("--stat", choices=sorted(STATS), default="median",
                   help="time reported per series: the median (default) or the minimum of its iteration averages")
    p.add_argument("--rounds", type=int, default=1, help="repeat the whole interleaved sequence (default 1)")
    p.add_argument("--forks", type=int, default=1,
                   help="JMH forks per Heed cell (default 1); the median over all forks' iterations is robust to "
                        "the occasional fork whose JIT-compiled kernels came out slow (docs/design-notes.md)")
    p.add_argument("--jar", default=DEFAULT_JAR, help="the benchmark jar (default benchmarks/target/benchmarks.jar)")
    p.add_argument("--java", default="java", help="the java launcher for JMH and its forks (default: java on PATH)")
    p.add_argument("--width", choices=["native", "128", "256", "512"], default="native",
                   help="vector width of the Heed forks and the peak: 256 adds -XX:UseAVX=2 on an AVX-512 machine, "
                        "128 adds -XX:MaxVectorSize=16 (default: native). NumPy keeps its own width")
    p.add_argument("--jvm-args", default="", metavar="'FLAGS'",
                   help="more JVM flags for every Heed and peak fork, e.g. '-XX:MaxVectorSize=32'")
    p.add_argument("--verbose", action="store_true", help="show JMH's output instead of logging it to a file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    profile = PROFILES["quick" if args.quick else "full" if args.full else "default"]
    args.profile = "quick" if args.quick else "full" if args.full else "default"
    args.tokens = args.tokens or profile["tokens"]
    args.masks = args.masks.split(",") if args.masks else profile["masks"]
    args.matmul_sizes = profile["matmul"] if args.matmul_sizes is None else int_list(args.matmul_sizes)
    args.paths = args.paths.split(",")
    args.ops = ["attention"] if args.no_backward else ["attention", "backward"]
    args.warmup, args.iterations, args.seconds = profile["warmup"], profile["iterations"], profile["seconds"]
    for m in args.masks:
        if m not in MASKS:
            p.error("unknown mask %r (none, causal, padding)" % m)
    for x in args.paths:
        if x not in ("vector", "scalar"):
            p.error("unknown path %r (vector, scalar)" % x)
    if min(args.threads + args.tokens + args.depth + [args.batch_heads, args.rounds]) < 1:
        p.error("thread counts, tokens, depths, --batch-heads and --rounds must be positive")
    return args


def main(argv):
    args = parse_args(argv)
    if args.worker:
        worker()
        return
    if not os.path.isfile(args.jar):
        fail("%s not found. Build it first, from the repository root:\n    %s" % (args.jar, BUILD))
    if shutil.which(args.java) is None:
        fail("no java launcher %r (--java): Java 17 or newer is needed" % args.java)
    stale_jar_warning(args.jar)
    import importlib.util
    if importlib.util.find_spec("numpy") is None:  # not imported here: the timing runs in the workers
        fail("%s has no NumPy; run this with the python3 whose NumPy uses an optimised BLAS" % sys.executable)

    command = shlex.join(["python3", os.path.relpath(os.path.abspath(__file__), os.getcwd())] + argv)
    machine = machine_info(args)
    flags = width_flags(args.width, machine["simd"])
    if flags is None:
        fail("--width %s: this machine's vectors are narrower (%s)" % (args.width, machine["simd"] or "no AVX2"))
    args.jvm_flags = flags + shlex.split(args.jvm_args)
    width = probe_width(args)
    if args.width != "native" and width["bits"] != int(args.width):
        fail("--width %s: the JVM with %s prefers %d-bit vectors" % (args.width, args.jvm_flags, width["bits"]))
    fd, log_path = tempfile.mkstemp(prefix="heed-numpy-peer-", suffix=".log")
    os.close(fd)
    log("numpy_peer.py: %s profile; JMH output in %s" % (args.profile, log_path))
    workers = {t: NumpyWorker(t) for t in args.threads}
    try:
        info = workers[args.threads[0]].ask(op="info")
        machine.update({k: info[k] for k in ("numpy", "blas", "python", "executable")})
        log("machine: %s, %d cores %s; %s; NumPy %s (%s, dgemm 512: %.1f GFLOP/s); load average %.1f"
            % (machine["cpu"], machine["cores"], machine["simd"], machine["java"], info["numpy"], info["blas"],
               info["dgemm512_gflops"], machine["load_average_start"][0]))
        log("width: %d-bit vectors (Heed kernels %s; JVM flags: %s); FMA peak of one core by CPU time %.1f GFLOP/s "
            "(scalar %.1f)" % (width["bits"], width["kernels"], " ".join(args.jvm_flags) or "none",
                               width["core_gflops"], width["core_scalar_gflops"]))
        # The FMA peak on each thread count, before and after the cells: the max of every sample is the
        # ceiling (a busy moment lowers a sample, nothing raises one).
        peaks = {t: {"vector": [], "scalar": []} for t in args.threads}

        def peak_round(when):
            for t in args.threads:
                log("peak (%s): PeakBenchmark on %s" % (when, plural(t, "thread")))
                for path, x in measure_peak(args, t, log_path).items():
                    peaks[t][path].extend(x)
                    PEAK.setdefault(t, {})[path] = max(peaks[t][path], default=None)
        peak_round("start")
        if info["dgemm512_gflops"] < 15:
            log("warning: NumPy's dgemm runs at %.1f GFLOP/s: %s looks like it has the reference BLAS, not the "
                "peer the comparison is meant for" % (info["dgemm512_gflops"], sys.executable))
        timing = dict(warmup=args.warmup, seconds=args.seconds)
        first = (args.iterations + 1) // 2
        rest = args.iterations - first
        cells, matmuls = {}, {}
        methods = [m for m in ATTENTION_METHODS if m.endswith(tuple(x.capitalize() for x in args.paths))]
        for rnd in range(args.rounds):
            for threads in args.threads:
                w = workers[threads]
                for depth in args.depth:
                    for tokens in args.tokens:
                        for mask in args.masks:
                            full = tokens <= args.max_full_tokens
                            log("[round %d/%d] %s [%d, %d, %d] mask=%s threads=%d"
                                % (rnd + 1, args.rounds, " and ".join(OPS[op]["name"] for op in args.ops),
                                   args.batch_heads, tokens, depth, mask, threads))
                            reqs = {op: dict(op=op, batch_heads=args.batch_heads, tokens=tokens, depth=depth,
                                             mask=mask, full=full, chunks=args.chunks, **timing) for op in args.ops}
                            before = {op: w.ask(iterations=first, **req) for op, req in reqs.items()}
                            ms = [m for m in methods if full or m.startswith("chunked")]
                            # One JMH run for the forward and the backward, so that Heed's two are
                            # measured back to back, each with its NumPy peer before and after.
                            heed = run_jmh(args, "|".join(method_regex(OPS[op]["benchmark"], ms) for op in args.ops),
                                           dict(tokens=tokens, depth=depth, mask=mask, batchHeads=args.batch_heads,
                                                threads=threads), [], log_path)
                            after = {op: w.ask(iterations=rest, **req) if rest else {"samples": {}}
                                     for op, req in reqs.items()}
                            for op in args.ops:
                                key = (op, threads, depth, tokens, mask)
                                got = {m.split(".")[1]: x for m, x in heed.items()
                                       if m.split(".")[0] == OPS[op]["benchmark"]}
                                missing = set(ms) - set(got)
                                if missing:
                                    fail("JMH reported no result for %s on %s" % (sorted(missing), key))
                                cell = cells.setdefault(key, dict(op=op, batch_heads=args.batch_heads, tokens=tokens,
                                                                  depth=depth, mask=mask, threads=threads,
                                                                  numpy={}, heed={}, numpy_max_error=0.0))
                                for part in (before[op], after[op]):
                                    for name, x in part["samples"].items():
                                        cell["numpy"].setdefault(name, []).extend(x)
                                    cell["numpy_max_error"] = max(cell["numpy_max_error"], part.get("max_error", 0.0))
                                for name, x in got.items():
                                    cell["heed"].setdefault(name, []).extend(x)
                for size in args.matmul_sizes:
                    log("[round %d/%d] matmul %d × %d threads=%d" % (rnd + 1, args.rounds, size, size, threads))
                    mm = [m for m in MATMUL_METHODS if m.endswith(tuple(x.capitalize() for x in args.paths))]
                    before = w.ask(op="matmul", size=size, iterations=first, **timing)
                    heed = run_jmh(args, method_regex("MatmulBenchmark", mm), dict(size=size),
                                   ["-Ddev.heed.parallelism=%d" % threads], log_path)
                    heed = {m.split(".")[1]: x for m, x in heed.items()}
                    after = w.ask(op="matmul", size=size, iterations=rest, **timing) if rest else {"samples": {}}
                    if set(mm) - set(heed):
                        fail("JMH reported no result for %s on matmul %d" % (sorted(set(mm) - set(heed)), size))
                    cell = matmuls.setdefault((threads, size), dict(size=size, threads=threads, numpy={}, heed={}))
                    for part in (before, after):
                        for name, s in part["samples"].items():
                            cell["numpy"].setdefault(name, []).extend(s)
                    for name, s in heed.items():
                        cell["heed"].setdefault(name, []).extend(s)
        peak_round("end")
    finally:
        for w in workers.values():
            w.close()

    machine["load_average_end"] = list(os.getloadavg())
    cells = [summarise(c, args.stat) for c in cells.values()]
    matmuls = [summarise(c, args.stat) for c in matmuls.values()]
    print("Heed vs NumPy, one run: %s" % command)
    print("Machine: %s, %d cores %s; %s; NumPy %s with %s (%s); load average %.1f at start, %.1f at end."
          % (machine["cpu"], machine["cores"], machine["simd"], machine["java"], machine["numpy"], machine["blas"],
             machine["python"], machine["load_average_start"][0], machine["load_average_end"][0]))
    print("Width: %d-bit vectors, Heed kernels %s (JVM flags: %s). FMA peak (PeakBenchmark, max over %d samples): %s."
          % (width["bits"], width["kernels"], " ".join(args.jvm_flags) or "none",
             min(len(peaks[t]["vector"]) for t in args.threads),
             "; ".join("%s %s GFLOP/s vector, %s scalar" % (plural(t, "thread"), fmt(peak_of(t)),
                                                           fmt(peak_of(t, "scalar"))) for t in args.threads)))
    print("One core's FMA peak by CPU time, which other work on the machine does not lower: %s GFLOP/s vector, %s "
          "scalar (× %d cores = %s: the idle machine's peak; if the JMH peak is well below it, the machine was busy)."
          % (fmt(width["core_gflops"]), fmt(width["core_scalar_gflops"]), machine["cores"],
             fmt(width["core_gflops"] * machine["cores"])))
    print("% of peak: a rate ÷ that peak on the row's threads (scalar kernels ÷ the scalar Math.fma peak); "
          "NumPy's BLAS runs at its own width whatever --width says.")
    print("Times: %s of per-iteration averages (%d iterations of %g s after %d warm-up, each side), ms per call. "
          "×NumPy = NumPy best time ÷ Heed time (> 1: Heed faster). GFLOP/s count 4·d·(allowed pairs); "
          "the roof is dgemm at this shape, dense count. Spread: the largest max ÷ min of the iteration "
          "averages among a row's series (NumPy best, the four Heed ones); well above 1.5, noise dominates the row."
          % (args.stat, args.iterations * args.rounds, args.seconds, args.warmup))
    print()
    forward = [c for c in cells if c["op"] == "attention"]
    backward = [c for c in cells if c["op"] == "backward"]
    if forward:
        print(attention_table(forward))
        print()
    if backward:
        print("Backward (gradients of q, k and v from what the forward saved; JMH AttentionBackwardBenchmark):")
        print()
        print(backward_table(backward, forward))
        print()
    if matmuls:
        print(matmul_table(matmuls))
        print()
    t = targets(forward, matmuls)
    if t:
        print("Issue 3 targets, this run:")
        print(t)
    t = backward_targets(backward, forward)
    if t:
        print("Issue 9 targets, this run:")
        print(t)
    t = peak_targets(forward, matmuls, width["bits"])
    if t:
        print("Issue 11 targets, this run (%d-bit):" % width["bits"])
        print(t)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": command, "machine": machine, "profile": args.profile, "stat": args.stat,
                       "settings": {"warmup": args.warmup, "iterations": args.iterations * args.rounds,
                                    "seconds": args.seconds, "chunks": args.chunks, "paths": args.paths,
                                    "max_full_tokens": args.max_full_tokens},
                       "width": width, "peak_gflops": {str(t): PEAK.get(t) for t in args.threads},
                       "peak_samples": {str(t): peaks[t] for t in args.threads},
                       "attention": forward, "backward": backward, "matmul": matmuls}, f, indent=1)
        log("wrote %s" % args.json)
    os.unlink(log_path)


if __name__ == "__main__":
    main(sys.argv[1:])
