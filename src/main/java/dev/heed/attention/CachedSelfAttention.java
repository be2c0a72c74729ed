package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * One decoding step of {@link MultiHeadAttention#forward(Tensor, KeyValueCache)}: project the new
 * tokens, append their keys and values to the cache, attend the new queries causally to the whole
 * cache. Package-private: it keeps the module's own file about attention over given inputs.
 */
final class CachedSelfAttention {
    private CachedSelfAttention() {}

    /**
     * The step itself; the projections are the module's own.
     *
     * <p>The kernel gets the queries {@code [B, H, T, E/H]} and views of the cached keys and values
     * {@code [B, H, n + T, E/H]} (no copy) with {@link Mask#causal()}: bottom-right aligned, query
     * {@code i} sees keys {@code j <= n + i}, which are row {@code n + i}'s keys in one pass over the
     * whole sequence. So each output row is the full forward's row, up to rounding.
     */
    static AttentionResult forward(
            MultiHeadAttention module,
            Tensor x,
            KeyValueCache cache,
            Linear queryProjection,
            Linear keyProjection,
            Linear valueProjection,
            Linear outputProjection) {
        if (x == null) {
            throw new IllegalArgumentException("x must not be null");
        }
        if (cache == null) {
            throw new IllegalArgumentException("cache must not be null; make one with newCache()");
        }
        if (cache.owner() != module) {
            throw new IllegalArgumentException("this cache was made by another module (" + cache.owner()
                    + "): its keys and values were projected by that module's weights");
        }
        int e = module.embedDim();
        if (module.keyDim() != e || module.valueDim() != e) {
            throw new IllegalArgumentException("decoding with a cache is self-attention, which needs keyDim = "
                    + "valueDim = embedDim; this module has embedDim " + e + ", keyDim " + module.keyDim()
                    + ", valueDim " + module.valueDim());
        }
        if ((x.rank() != 2 && x.rank() != 3) || x.shape(-1) != e) {
            throw new IllegalArgumentException("decoding with a cache needs x [B, T, " + e + "] or [T, " + e
                    + "] (the new tokens), got " + Arrays.toString(x.shape()));
        }
        boolean unbatched = x.rank() == 2;
        Tensor x3 = unbatched ? x.unsqueeze(0) : x;
        cache.checkStep(x, x3.shape(0), unbatched, x3.shape(1));

        Tensor q = module.splitHeads(queryProjection.forward(x3));
        cache.append(keyProjection.forward(x3), valueProjection.forward(x3), unbatched);
        AttentionResult heads = cache.attend(module.kernel(), q, Mask.causal());
        Tensor output = outputProjection.forward(module.mergeHeads(heads.output()));
        Tensor lse = heads.logSumExp();
        if (unbatched) {
            return AttentionResult.withLazyWeights(
                    output.squeeze(0), () -> heads.weights().squeeze(0), lse.squeeze(0));
        }
        return AttentionResult.withLazyWeights(output, heads::weights, lse);
    }
}
