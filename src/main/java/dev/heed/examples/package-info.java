/**
 * Three small models trained from scratch on data generated here, each on a task where we know
 * what its attention should find — the tutorial's models, trained rather than hand-set.
 *
 * <ul>
 *   <li>{@link dev.heed.examples.SentimentClassifier} — embedding, additive attention pooling,
 *       linear, on film reviews where one or two words decide and {@code "not"} flips them: the
 *       pooling learns to weigh the deciding words.</li>
 *   <li>{@link dev.heed.examples.Translator} — Luong's general attention between decoder and
 *       encoder states, on a language pair whose adjective–noun order differs: the attention
 *       learns the crossing word alignment from the translations alone.</li>
 *   <li>{@link dev.heed.examples.InductionTransformer} — a two-layer, attention-only causal
 *       transformer on sequences whose second half repeats the first: it grows an induction
 *       head.</li>
 * </ul>
 *
 * <p>Each is a {@link dev.heed.layers.Module} built from a seed, with a generator of its data,
 * a {@code train(...)} method that runs a fixed AdamW schedule and returns a report record, an
 * {@code evaluate(...)} method, and a {@code snapshot()} that turns the trained parameters into
 * Heed's immutable classes ({@link dev.heed.attention.AdditiveAttentionPooling},
 * {@link dev.heed.attention.AlignmentAttention}, {@link dev.heed.attention.MultiHeadAttention})
 * for inference and heatmaps:
 * <pre>{@code
 * SentimentClassifier model = new SentimentClassifier(1);
 * SentimentClassifier.Report report = model.train(Reviews.generate(2, 2000), Reviews.generate(3, 1000));
 * report.heldOutAccuracy();                                  // 1.0
 * Tensor weights = model.snapshot().pool(ids, lengths).weights();
 * }</pre>
 *
 * <p>Training is deterministic for a seed on a given kernel path: the same seed and data give
 * the same report, bit for bit, except its measured time. The scalar and Vector API kernels
 * round differently in the last bit, and training amplifies that, so the two paths reach
 * slightly different, equally good, numbers. Each trains in a few seconds on two cores. The
 * guided tour ({@code dev.heed.tour.Tour}) trains all three and draws their attention.
 */
package dev.heed.examples;
