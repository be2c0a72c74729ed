/**
 * Measures of attention weights and of predictions, all in {@link dev.heed.metrics.Metrics}.
 *
 * <p>Row measures reduce the last axis of weights {@code [..., S]} to {@code [...]}:
 * {@link dev.heed.metrics.Metrics#entropy entropy} (in nats),
 * {@link dev.heed.metrics.Metrics#normalizedEntropy normalizedEntropy},
 * {@link dev.heed.metrics.Metrics#concentration concentration} (the largest weight) and
 * {@link dev.heed.metrics.Metrics#topKMass topKMass}. Distance measures read weights
 * {@code [..., L, S]}: {@link dev.heed.metrics.Metrics#meanAttentionDistance meanAttentionDistance}
 * per query, {@link dev.heed.metrics.Metrics#headMeanAttentionDistance headMeanAttentionDistance}
 * per head of multi-head weights. {@link dev.heed.metrics.Metrics#accuracy accuracy} and
 * {@link dev.heed.metrics.Metrics#evaluate evaluate} summarise predictions.
 *
 * <p>The weights are taken as given, never renormalised. A row of zeros (a query that attended to
 * nothing) gives 0 in every row measure and is left out of the per-head average; NaN propagates to
 * its row; a negative weight is an {@link java.lang.IllegalArgumentException}. Inputs may be any
 * view and are not modified; results are new tensors.
 */
package dev.heed.metrics;
