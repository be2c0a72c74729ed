/**
 * Heed: attention mechanisms over double-precision tensors, in pure Java with no runtime
 * dependencies.
 *
 * <p>This package holds {@link dev.heed.Heed}, whose {@link dev.heed.Heed#kernels()} says which
 * kernels run in this JVM (the Vector API or the scalar path, the vector width, the thread count).
 * The library itself is in the sub-packages:
 * <ul>
 *   <li>{@link dev.heed.tensor} — {@code Tensor}, a strided view on a flat {@code double[]}
 *       (NumPy's ndarray): views, copies and the core math everything else builds on.</li>
 *   <li>{@link dev.heed.attention} — the {@code Attention} kernels ({@code SimpleAttention},
 *       {@code ScaledDotProductAttention}, {@code ChunkedAttention}) and their backward,
 *       {@code SoftmaxAttention} over caller-computed scores, {@code Mask},
 *       {@code MultiHeadAttention}, and the applied forms: additive pooling, encoder–decoder
 *       alignment and hierarchical attention.</li>
 *   <li>{@link dev.heed.encoding} — positional encodings.</li>
 *   <li>{@link dev.heed.layers} — {@code Linear} and {@code Embedding}, in PyTorch's layouts, their
 *       gradients, their trainable forms and {@code Module}, which names parameters.</li>
 *   <li>{@link dev.heed.autograd} — {@code Variable}: a small reverse-mode autograd over tensors,
 *       with fused operations for the attention kernels.</li>
 *   <li>{@link dev.heed.train} — losses, optimisers (SGD, AdamW), gradient clipping,
 *       initialisation, checkpoints, and attention kernels as autograd operations.</li>
 *   <li>{@link dev.heed.metrics} — entropy, concentration and distance of attention weights;
 *       accuracy of predictions.</li>
 *   <li>{@link dev.heed.viz} — heatmaps of attention weights as PNG or SVG.</li>
 *   <li>{@link dev.heed.io} — {@code .npy}, {@code .npz} and safetensors files, PyTorch state
 *       dicts.</li>
 * </ul>
 * The packages under {@code dev.heed.internal} hold the kernels and are not API.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Shapes are written {@code [B, H, L, S]}: {@code B} batch, {@code H} heads, {@code L}
 *       queries, {@code S} keys, {@code d} the query/key depth, {@code dv} the value depth,
 *       {@code E} the embedding size. {@code ...} stands for any number of leading axes, which
 *       broadcast against each other as in NumPy. Negative axes count from the end.</li>
 *   <li>Every method says whether it returns a view (sharing data with its input) or a new
 *       tensor; arguments are not modified unless their parameter says so.</li>
 *   <li>Bad input gets an {@link java.lang.IllegalArgumentException} whose message names the
 *       shapes or values at fault.</li>
 *   <li>A query that may attend to nothing gets output 0, weights 0 and log-sum-exp
 *       {@code -inf}, never NaN; softmax is always stable.</li>
 *   <li>Attention kernels, masks, layers and modules are immutable and safe to share between
 *       threads. Tensors, charts and builders are mutable; their classes say what may be
 *       shared.</li>
 * </ul>
 *
 * <p>Further reading, in the {@code docs/} folder of the source distribution:
 * {@code tensor-model.md} (views and copies), {@code masks.md} (mask polarity, causal alignment,
 * empty rows), {@code visualisation.md}, {@code file-formats.md}, {@code gradients.md}, {@code performance.md},
 * {@code design-notes.md} (kernels and tile sizes) and {@code architecture.md} (the packages and
 * which way their dependencies point).
 */
package dev.heed;
